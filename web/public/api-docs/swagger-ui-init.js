// Starts Swagger UI on /docs (the page is vega.api.docs_pages). A file of its own, not
// an inline script: the page's Content-Security-Policy runs scripts from Vega only.
(function () {
  'use strict';
  var root = document.getElementById('swagger-ui');
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute('data-openapi-url'),
    domNode: root,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Swagger UI would otherwise show a badge fetched from validator.swagger.io.
    validatorUrl: null,
    // A key typed into "Authorize" lives only as long as the tab: never in localStorage.
    persistAuthorization: false,
  });
})();
