"""The joining layer: the ASGI app and the `lianxin` command put the GraphQL schema (schema/) and
the domain (server/) together. server/ never imports schema/; only this package sees both."""
