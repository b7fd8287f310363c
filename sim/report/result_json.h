// The JSON result of one run (`run --json`, and every run inside a JSON
// export): its one writer and its one reader. The schema is described in
// docs/json.md and docs/result.schema.json.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "sim/result.h"

namespace ticketsim {

inline constexpr int kSchemaVersion = 2;

// The JSON result (schema_version kSchemaVersion).
nlohmann::json result_json(const Result& result);

// Reads a JSON result back: every field result_json writes, so that
// result_json(result_from_json(json)) is json again (`as_expected` is
// derived from the verdicts, not read).
// Keys beyond them (`context`, `cell`, `repeat_command`) are left to the
// caller. `where` names the document in errors, which are one-line
// InputErrors naming the key's path.
Result result_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace ticketsim
