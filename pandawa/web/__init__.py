"""The shared web core: the page shell (base template, styles, script), security headers,
interface strings and template filters, sign-in and roles, API tokens and JSON errors.
Features build their pages on it; it imports no feature."""
