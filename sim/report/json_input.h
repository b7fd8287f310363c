// Reading a JSON document someone may have edited (a saved result, an
// export): every key that is missing or of the wrong type is a one-line
// InputError that names the document and the key's path. `where` is that
// path so far ("r.json", "r.json: latency_s: buy", "saved.json: runs[2]").
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/errors.h"

namespace ticketsim {

// `object[key]`, which must exist in an object.
const nlohmann::json& json_member(const nlohmann::json& object, const char* key, const std::string& where);

// `object[key]` as a number, an integer, a non-negative integer, a string or
// a bool; anything else is an InputError.
double json_number(const nlohmann::json& object, const char* key, const std::string& where);
std::int64_t json_integer(const nlohmann::json& object, const char* key, const std::string& where);
std::uint64_t json_unsigned(const nlohmann::json& object, const char* key, const std::string& where);
std::string json_text(const nlohmann::json& object, const char* key, const std::string& where);
bool json_bool(const nlohmann::json& object, const char* key, const std::string& where);

// `object[key]`, which must be a list.
const nlohmann::json& json_list(const nlohmann::json& object, const char* key, const std::string& where);

// `object[key]`, which must be an object; `where` is extended by the key
// for what is read inside it.
const nlohmann::json& json_object(const nlohmann::json& object, const char* key, const std::string& where);

}  // namespace ticketsim
