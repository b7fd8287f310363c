#include "sim/hosts/wire.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace ticketsim {

void Channel::send_bytes(std::string_view bytes) {
  if (bytes.size() > kMaxFrameBytes) throw ChannelError(fmt::format("a frame of {} bytes is too large", bytes.size()));
  auto length = static_cast<std::uint32_t>(bytes.size());
  std::string frame(4, '\0');
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  frame.append(bytes);
  std::size_t written = 0;
  while (written < frame.size()) {
    ssize_t n = ::write(out_, frame.data() + written, frame.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw ChannelError(fmt::format("the connection broke: {}", std::strerror(errno)));
    written += static_cast<std::size_t>(n);
  }
}

bool Channel::frame_ready() const {
  if (buffer_.size() < 4) return false;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[static_cast<std::size_t>(i)]);
  return buffer_.size() >= 4 + static_cast<std::size_t>(length);
}

std::optional<std::string> Channel::take_frame() {
  if (buffer_.size() < 4) return std::nullopt;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length = (length << 8) | static_cast<unsigned char>(buffer_[static_cast<std::size_t>(i)]);
  if (length > kMaxFrameBytes) throw ChannelError(fmt::format("a frame of {} bytes is too large (not an agent?)", length));
  if (buffer_.size() < 4 + static_cast<std::size_t>(length)) return std::nullopt;
  std::string frame = buffer_.substr(4, length);
  buffer_.erase(0, 4 + static_cast<std::size_t>(length));
  return frame;
}

bool Channel::fill(int timeout_ms) {
  pollfd readable{in_, POLLIN, 0};
  int ready = ::poll(&readable, 1, timeout_ms);
  if (ready < 0 && errno != EINTR) throw ChannelError(fmt::format("poll: {}", std::strerror(errno)));
  if (ready <= 0) return true;
  char chunk[65536];
  ssize_t n = ::read(in_, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> Channel::receive_bytes(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (std::optional<std::string> frame = take_frame()) return frame;
    if (closed_) throw ChannelError(buffer_.empty() ? "the connection closed" : "the connection closed mid-frame");
    int wait = -1;
    if (timeout_ms >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() < 0) return std::nullopt;
      wait = static_cast<int>(left.count());
    }
    if (!fill(wait) && buffer_.empty()) throw ChannelError("the connection closed");
  }
}

nlohmann::json Channel::expect(std::string_view type, int timeout_ms) {
  std::optional<nlohmann::json> message = try_expect(type, timeout_ms);
  if (!message) throw ChannelError(fmt::format("no '{}' within {} s", type, timeout_ms / 1000.0));
  return *message;
}

std::optional<nlohmann::json> Channel::try_expect(std::string_view type, int timeout_ms) {
  std::optional<std::string> frame = receive_bytes(timeout_ms);
  if (!frame) return std::nullopt;
  nlohmann::json message = nlohmann::json::parse(*frame, nullptr, false);
  if (!message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    throw ChannelError("a message that is not a protocol message (not an agent?)");
  }
  std::string got = message["type"];
  if (got == "error") throw ChannelError(message.value("message", std::string("an error")));
  if (got != type) throw ChannelError(fmt::format("expected '{}', got '{}'", type, got));
  return message;
}

bool Channel::readable() {
  if (closed_ || frame_ready()) return true;
  fill(0);
  return closed_ || frame_ready();
}

std::string fnv1a_hex(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace ticketsim
