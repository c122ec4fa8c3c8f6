// The API this page talks to: the stage's invoke URL, the `api_invoke_url` output of api-stack, e.g.
// "https://abc123.execute-api.us-east-1.amazonaws.com/prod". `npm start` serves its own version of this file
// with the local API's URL. A `?api=<url>` query parameter overrides it.
window.APP_CONFIG = { apiUrl: "" };
