// Renders the AsyncAPI document Relay serves, with AsyncAPI's own React component (standalone build).
AsyncApiStandalone.render(
  {
    schema: { url: '/docs/events.json' },
    config: { show: { sidebar: true, servers: false }, sidebar: { showOperations: 'byDefault' } },
  },
  document.getElementById('asyncapi'),
);
