import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import { buildOpenApiDocument } from '../src/contract/openapi.js';
import type { Response } from 'supertest';
import { ResponseContract } from './support/openapi-responses.js';

const document = {
  paths: {
    '/api/v1/things/{id}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ThingDto' } } } },
          '404': { content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorDto' } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      ThingDto: {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          role: { type: 'string', enum: ['a', 'b'], nullable: true },
          owner: { nullable: true, type: 'object', allOf: [{ $ref: '#/components/schemas/OwnerDto' }] },
        },
        required: ['id', 'role', 'owner'],
      },
      OwnerDto: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      ErrorDto: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
    },
  },
};

const answer = (status: number, body: unknown): Response =>
  ({ status, body, headers: { 'content-type': 'application/json; charset=utf-8' } }) as unknown as Response;
const id = '0b7c5a52-1f0e-4c43-9d7e-6a1e8b7f2c11';

describe('the response check against the OpenAPI document', () => {
  const contract = new ResponseContract(document);
  const check = (status: number, body: unknown, path = `/api/v1/things/${id}`) =>
    contract.violation('GET', path, answer(status, body));

  it('passes what the document describes, null where it says nullable (beside enum and allOf too)', () => {
    expect(check(200, { id, role: 'a', owner: { name: 'x' } })).toBeNull();
    expect(check(200, { id, role: null, owner: null })).toBeNull();
    expect(check(404, { code: 'NOT_FOUND' })).toBeNull();
  });

  it('fails a missing field, a wrong type, a value outside the enum and a field the document does not name', () => {
    expect(check(200, { role: 'a', owner: null })).toMatch(/must have required property 'id'/);
    expect(check(200, { id: 5, role: 'a', owner: null })).toMatch(/\/id must be string/);
    expect(check(200, { id, role: 'c', owner: null })).toMatch(/\/role/);
    expect(check(200, { id, role: 'a', owner: null, secret: 1 })).toMatch(/additional properties \(secret\)/);
    expect(check(200, { id, role: 'a', owner: { name: 'x', extra: true } })).toMatch(/extra/);
  });

  it('fails a status the route does not document, and a route the document does not have unless it is a 404', () => {
    expect(check(500, { code: 'INTERNAL' })).toMatch(/answered 500, which the document does not list/);
    expect(check(200, {}, '/api/v1/elsewhere')).toMatch(/not in the OpenAPI document/);
    expect(check(404, { code: 'NOT_FOUND' }, '/api/v1/elsewhere')).toBeNull();
  });
});

describe('the OpenAPI document Relay builds', () => {
  it('refuses two DTO classes with one name (one would show the other’s shape)', async () => {
    const first = (() => {
      class ThingDto {
        @ApiProperty() name!: string;
      }
      return ThingDto;
    })();
    const second = (() => {
      class ThingDto {
        @ApiProperty() count!: number;
      }
      return ThingDto;
    })();
    @Controller('first')
    class FirstController {
      @Get()
      @ApiOkResponse({ type: first })
      get(): void {}
    }
    @Controller('second')
    class SecondController {
      @Get()
      @ApiOkResponse({ type: second })
      get(): void {}
    }
    @Module({ controllers: [FirstController, SecondController] })
    class TwoNamesModule {}
    const app = await NestFactory.create(TwoNamesModule, { logger: false });
    try {
      expect(() => buildOpenApiDocument(app)).toThrow(/more than one DTO class is named ThingDto/);
    } finally {
      await app.close();
    }
  });
});
