// Starts the vendored Swagger UI (static/openapi-viewer/) on the page GET /docs serves,
// reading the document from the URL the page names: no inline script, no outside host.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    // Swagger UI would otherwise ask validator.swagger.io about the document.
    validatorUrl: null,
  });
})();
