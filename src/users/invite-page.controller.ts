import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/auth/auth-context.js';
import { ApiErrors } from '../common/http/api-errors.js';
import { originOf } from '../common/http/origins.js';
import { SkipSignature } from '../common/http/skip-signature.js';
import { type InvitePreview, InvitesService } from './invites.service.js';

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Where an invite's `url` leads (outside /api/v1): a small page that shows who invites and how to
 * accept, for the browser that opened the link; the same facts as JSON for an app that asks for them.
 */
@ApiTags('friends')
@Public()
@SkipSignature()
@Controller('invite')
export class InvitePageController {
  constructor(private readonly invites: InvitesService) {}

  @Get(':code')
  @ApiOperation({
    summary:
      'The page an invite link opens: the inviter and how to accept (HTML, or JSON with Accept: application/json)',
  })
  @ApiProduces('text/html', 'application/json')
  @ApiOkResponse({ description: 'The invite can be accepted' })
  @ApiErrors(404)
  async show(@Param('code') code: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const preview = await this.invites.preview(code, originOf(req));
    const status = !preview ? 404 : preview.state === 'open' ? 200 : 410;
    res.status(status).setHeader('Cache-Control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') {
      if (!preview) {
        res.json({ statusCode: 404, code: 'NOT_FOUND', message: 'Invite not found' });
        return;
      }
      const { qrDataUrl: _qr, ...facts } = preview;
      res.json(facts);
      return;
    }
    res
      .setHeader('Content-Security-Policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'")
      .type('html')
      .send(page(preview));
  }
}

function page(invite: InvitePreview | null): string {
  const body = !invite
    ? '<h1>Invite not found</h1><p>This link does not lead to an invite. Ask for a new one.</p>'
    : invite.state !== 'open'
      ? `<h1>This invite ${invite.state === 'expired' ? 'has expired' : 'was already used'}</h1>
         <p>Ask ${escape(invite.inviter.displayName)} for a new one.</p>`
      : `<h1>${escape(invite.inviter.displayName)} invites you to be friends</h1>
         <p>Valid until <time datetime="${invite.expiresAt}">${invite.expiresAt.replace('T', ' ').slice(0, 16)} UTC</time>.</p>
         <h2>To accept</h2>
         <ol>
           <li>Open this link in the app (scan the code with your phone), sign in, and accept; or</li>
           <li>as a developer: <code>POST /api/v1/friends/invites/${escape(invite.code)}/accept</code>
               with your access token (<a href="/docs">API documentation</a>).</li>
         </ol>
         <img src="${invite.qrDataUrl}" width="240" height="240" alt="QR code of this invite link">`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Friend invite · Relay</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}</style></head>
<body>${body}</body></html>`;
}
