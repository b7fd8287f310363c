// The agent protocol's framing: each message is a 4-byte big-endian length,
// then that many bytes (a JSON object, or a history's raw bytes), on a byte
// stream such as an agent's stdin and stdout, or ssh carrying them.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace ticketsim {

// Raised when the other end closed, the stream broke, or a frame was bad.
class ChannelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The protocol's version: an agent and a coordinator of different versions
// refuse each other at the handshake.
inline constexpr int kAgentProtocolVersion = 1;

// The largest frame either end accepts (a history of 2^28 bytes is about
// 6 million operations).
inline constexpr std::uint32_t kMaxFrameBytes = 1u << 28;

// One end of a framed stream. It owns neither descriptor.
class Channel {
 public:
  Channel(int in_fd, int out_fd) : in_(in_fd), out_(out_fd) {}

  // Writes one frame whole. Throws ChannelError.
  void send_bytes(std::string_view bytes);
  void send(const nlohmann::json& message) { send_bytes(message.dump()); }

  // The next frame, waiting at most `timeout_ms` (-1: for ever); nullopt
  // when none came in that time. Throws ChannelError at the end of the
  // stream or on a bad frame.
  std::optional<std::string> receive_bytes(int timeout_ms);
  // The next frame as a JSON object whose "type" is `type`. Throws
  // ChannelError on a timeout, another type, or an "error" message (its
  // text).
  nlohmann::json expect(std::string_view type, int timeout_ms);
  // As expect, but nullopt when nothing came within `timeout_ms`.
  std::optional<nlohmann::json> try_expect(std::string_view type, int timeout_ms);

  // Whether a frame (or the end of the stream) is waiting, without reading it.
  bool readable();

  int in_fd() const { return in_; }

 private:
  // Reads what is there into buffer_; false at the end of the stream.
  bool fill(int timeout_ms);
  std::optional<std::string> take_frame();
  bool frame_ready() const;

  int in_;
  int out_;
  std::string buffer_;
  bool closed_ = false;
};

// FNV-1a, 64 bits, as 16 hex digits: the checksum a history travels with.
std::string fnv1a_hex(std::string_view bytes);

}  // namespace ticketsim
