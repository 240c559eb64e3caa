// Operations: GET /metrics (Prometheus text, metrics.hpp) and GET /v1/openapi.json (the
// OpenAPI document api/openapi.json, embedded at build time). Neither needs a session.
#include "api/edge_internal.hpp"
#include "api/openapi.hpp"

namespace rxp::api {

// Loopback clients only unless EdgeOptions::metrics_from_any_address: the counters hold no
// PHI, but the traffic shape of a clinical portal is nobody else's business.
void handle_metrics(const CallPtr& c) {
  if (!c->core->options.metrics_from_any_address && !is_loopback_address(c->req.source_ip))
    return answer(c, forbidden());
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  r.body = c->core->metrics->render();
  answer(c, std::move(r));
}

void handle_openapi(const CallPtr& c) { answer(c, json_response(200, std::string(openapi_document()))); }

}  // namespace rxp::api
