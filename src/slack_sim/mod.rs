//! A loopback stand-in for Slack, used by the tests and the load generator.
