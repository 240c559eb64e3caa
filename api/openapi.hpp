// The OpenAPI 3.0 document of this API (api/openapi.json), embedded in the binary at build
// time (cmake/embed_text.cmake writes openapi_document.cpp from the file; nothing is fetched).
// Thread-safety: a constant.
#pragma once

#include <string_view>

namespace rxp::api {

std::string_view openapi_document();

}  // namespace rxp::api
