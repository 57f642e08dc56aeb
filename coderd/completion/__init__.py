"""A request's life in the service: tickets, scheduling, sessions, debounce, cache, budgets, feedback."""
