#include "sim/report/json_input.h"

#include <limits>

#include <fmt/format.h>

namespace ticketsim {

const nlohmann::json& json_member(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw InputError(fmt::format("{}: missing key '{}'", where, key));
  }
  return object[key];
}

double json_number(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  if (!value.is_number()) throw InputError(fmt::format("{}: key '{}' must be a number", where, key));
  return value.get<double>();
}

std::int64_t json_integer(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  // A parsed integer beyond the int64 range is unsigned, and would wrap.
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
    throw InputError(fmt::format("{}: key '{}' must be an integer", where, key));
  }
  return value.get<std::int64_t>();
}

std::uint64_t json_unsigned(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  // A non-negative integer built in memory from a signed type is not
  // "unsigned" to nlohmann::json, but is one.
  bool non_negative = value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
  if (!non_negative) throw InputError(fmt::format("{}: key '{}' must be a non-negative integer", where, key));
  return value.get<std::uint64_t>();
}

std::string json_text(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  if (!value.is_string()) throw InputError(fmt::format("{}: key '{}' must be a string", where, key));
  return value.get<std::string>();
}

bool json_bool(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  if (!value.is_boolean()) throw InputError(fmt::format("{}: key '{}' must be true or false", where, key));
  return value.get<bool>();
}

const nlohmann::json& json_list(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  if (!value.is_array()) throw InputError(fmt::format("{}: key '{}' must be a list", where, key));
  return value;
}

const nlohmann::json& json_object(const nlohmann::json& object, const char* key, const std::string& where) {
  const nlohmann::json& value = json_member(object, key, where);
  if (!value.is_object()) throw InputError(fmt::format("{}: key '{}' must be an object", where, key));
  return value;
}

}  // namespace ticketsim
