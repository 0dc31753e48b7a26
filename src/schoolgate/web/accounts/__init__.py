"""Staff logins, their roles at each school, two-factor authentication and login throttling."""
