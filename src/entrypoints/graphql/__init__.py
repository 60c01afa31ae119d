"""GraphQL over the same use cases as the REST API: a second HTTP entrypoint with no rules of its own."""
