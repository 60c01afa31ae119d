// Mounts GraphiQL on the page, talking to the same origin's /graphql. Kept out of the HTML so the
// page's CSP needs no inline script. The headers tab's JSON (e.g. {"Authorization": "Bearer ..."})
// is sent with every request; it is not persisted, so tokens stay out of localStorage.
(function () {
  "use strict";
  var fetcher = GraphiQL.createFetcher({ url: "/graphql", enableIncrementalDelivery: false });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: '{"Authorization": "Bearer "}',
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
    })
  );
})();
