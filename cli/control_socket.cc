#include "cli/control_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace kagami::cli {
namespace {

constexpr size_t kMaxRequest = 1024;

std::string Errno() { return std::strerror(errno); }

bool AddressOf(const std::string& path, sockaddr_un* addr) {
  if (path.size() >= sizeof addr->sun_path) return false;
  *addr = sockaddr_un{};
  addr->sun_family = AF_UNIX;
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// Writes all of `data`, or gives up at an error (the peer left).
void WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

std::string DefaultControlSocket() {
  if (geteuid() == 0) return "/run/kagami/kagami.sock";
  if (const char* run = std::getenv("XDG_RUNTIME_DIR"); run && *run) return std::string(run) + "/kagami.sock";
  return "/tmp/kagami-" + std::to_string(geteuid()) + ".sock";
}

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Open(const std::string& path, Handler handler) {
  sockaddr_un addr;
  if (!AddressOf(path, &addr)) return absl::InvalidArgumentError(absl::StrCat("control socket ", path, ": path too long"));
  std::error_code ec;
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("control socket ", path, ": cannot create ", dir.string(), ": ",
                                                       ec.message()));
  }
  // A socket file left by a sensor that died is replaced; one that answers
  // belongs to a running sensor.
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(absl::StrCat("control socket ", path, ": exists and is not a socket"));
    }
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool alive = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (alive) {
      return absl::AlreadyExistsError(absl::StrCat("control socket ", path,
                                                   ": another sensor answers on it; give --control-socket"));
    }
    unlink(path.c_str());
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("control socket: ", Errno()));
  // Owner-only from the moment it exists: no window where others connect.
  const mode_t old_mask = umask(0177);
  const int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  umask(old_mask);
  if (rc != 0 || listen(fd, 8) != 0) {
    const std::string why = Errno();
    close(fd);
    return absl::UnavailableError(absl::StrCat("control socket ", path, ": ", why));
  }
  return std::unique_ptr<ControlServer>(new ControlServer(path, fd, std::move(handler)));
}

ControlServer::ControlServer(std::string path, int fd, Handler handler)
    : path_(std::move(path)), fd_(fd), handler_(std::move(handler)) {
  if (pipe2(stop_pipe_, O_CLOEXEC) != 0) stop_pipe_[0] = stop_pipe_[1] = -1;
  thread_ = std::thread([this] { Loop(); });
  pthread_setname_np(thread_.native_handle(), "kagami-control");
}

ControlServer::~ControlServer() {
  if (stop_pipe_[1] >= 0) {
    const char c = 0;
    [[maybe_unused]] ssize_t n = write(stop_pipe_[1], &c, 1);
  }
  thread_.join();
  close(fd_);
  for (int p : stop_pipe_) {
    if (p >= 0) close(p);
  }
  unlink(path_.c_str());  // fails quietly after a privilege drop
}

void ControlServer::Loop() {
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    // One line, within 2 s: a client that says nothing cannot hold the
    // socket.
    timeval tv{2, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string request;
    char buf[256];
    while (request.find('\n') == std::string::npos && request.size() < kMaxRequest) {
      const ssize_t n = recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    if (const size_t nl = request.find_first_of("\r\n"); nl != std::string::npos) request.resize(nl);
    WriteAll(c, handler_(request) + "\n");
    close(c);
  }
}

absl::StatusOr<std::string> ControlRequest(const std::string& path, const std::string& request, int timeout_seconds) {
  sockaddr_un addr;
  if (!AddressOf(path, &addr)) return absl::InvalidArgumentError(absl::StrCat(path, ": path too long"));
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(Errno());
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = Errno();
    close(fd);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", path, ": ", why,
                                               " (is kagami live running with this --control-socket?)"));
  }
  WriteAll(fd, request + "\n");
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      close(fd);
      return absl::DeadlineExceededError(absl::StrCat("no answer from ", path, " within ", timeout_seconds, " s"));
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  if (answer.empty()) return absl::UnavailableError(absl::StrCat(path, ": the sensor closed without answering"));
  return answer;
}

}  // namespace kagami::cli
