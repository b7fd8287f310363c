// The JSON result of one run (`run --json`, and every run inside a JSON
// export). The schema is described in docs/json.md.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "sim/result.h"

namespace ticketsim {

inline constexpr int kSchemaVersion = 1;

// The JSON result (schema_version kSchemaVersion).
nlohmann::json result_json(const Result& result);

}  // namespace ticketsim
