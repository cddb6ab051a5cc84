"""The application shell: configuration, factory, middlewares, filters, states."""
