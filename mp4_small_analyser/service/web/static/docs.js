/* Swagger UI from the package's own copy (no CDN), started from a file: the
   Content-Security-Policy allows no inline script. */
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
