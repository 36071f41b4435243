#pragma once
// Real peers for output tests, started by the test in a scratch directory
// and stopped with it: redis-server on a unix socket, rsyslogd, and a
// socket listener of our own for JSON lines and octet-counted syslog.

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <functional>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace kagami::testing {

class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/kagami-peer-XXXXXX";
    path_ = ::mkdtemp(tmpl) ? tmpl : "";
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline bool WaitFor(const std::function<bool()>& ready, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// A program run in the background until Stop (SIGTERM, then wait).
class Daemon {
 public:
  ~Daemon() { Stop(); }
  bool Start(const std::vector<std::string>& argv) {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    return pid_ > 0;
  }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// What a shell command prints on standard output (redis-cli, ...).
inline std::string ShellOutput(const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; p && (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (p) ::pclose(p);
  return out;
}

inline bool HaveProgram(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// redis-server listening only on DIR/redis.sock. Persistent (the default),
// every write is in DIR/appendonly.aof, fsync'd, so a restart keeps it;
// otherwise it keeps nothing on disk (benchmarks).
class RedisServer {
 public:
  explicit RedisServer(std::string dir, std::string password = "", bool persistent = true)
      : dir_(std::move(dir)), password_(std::move(password)), persistent_(persistent) {}
  std::string socket() const { return dir_ + "/redis.sock"; }
  bool Start() {
    std::vector<std::string> argv = {"redis-server", "--port", "0", "--unixsocket", socket(), "--unixsocketperm",
                                     "700", "--dir", dir_, "--save", "", "--appendonly", persistent_ ? "yes" : "no",
                                     "--appendfsync", "always", "--logfile", dir_ + "/redis.log"};
    if (!password_.empty()) {
      argv.push_back("--requirepass");
      argv.push_back(password_);
    }
    if (!daemon_.Start(argv)) return false;
    return WaitFor([this] { return std::filesystem::exists(socket()); }, std::chrono::seconds(10));
  }
  // SIGTERM: redis-server finishes its AOF and exits.
  void Stop() {
    daemon_.Stop();
    std::error_code ec;
    std::filesystem::remove(socket(), ec);
  }

 private:
  std::string dir_, password_;
  bool persistent_;
  Daemon daemon_;
};

// Accepts connections on a unix or TCP (127.0.0.1) stream socket and keeps
// every byte it reads. Stop() closes cleanly: it shuts its side, reads
// until the sender closes too (so nothing sent is lost), then closes; a
// connection still waiting to be accepted is accepted and read first (a
// sender may connect and write before this thread ever ran accept).
class StreamListener {
 public:
  // A TCP listener on 127.0.0.1:PORT (0: any free port, see port()).
  explicit StreamListener(uint16_t port = 0) : port_(port) {}
  // A unix stream socket at `unix_path`.
  explicit StreamListener(std::string unix_path) : path_(std::move(unix_path)) {}
  ~StreamListener() { Stop(); }
  bool Start() {
    if (path_.empty()) {
      fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      int one = 1;
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(port_);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
      socklen_t len = sizeof a;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
      port_ = ntohs(a.sin_port);
    } else {
      ::unlink(path_.c_str());
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un a{};
      a.sun_family = AF_UNIX;
      std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path_.c_str());
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    }
    if (::listen(fd_, 8) != 0) return false;
    stop_ = false;
    thread_ = std::thread([this] { Serve(); });
    return true;
  }
  void Stop() {
    if (!thread_.joinable()) return;
    stop_ = true;
    thread_.join();
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  uint16_t port() const { return port_; }
  std::string data() const {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }
  int connections() const { return connections_; }

 private:
  void Serve() {
    for (;;) {
      // Polled, not blocked in accept: Stop() is seen within 50 ms, and
      // only once no connection is waiting.
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, 50);
      if (ready < 0 && errno != EINTR) return;
      if (ready <= 0) {
        if (stop_) return;
        continue;
      }
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++connections_;
      char buf[65536];
      bool closing = false;
      std::chrono::steady_clock::time_point give_up;
      for (;;) {
        if (stop_ && !closing) {
          ::shutdown(c, SHUT_WR);  // the sender sees the end and closes
          closing = true;
          // A sender with nothing to send notices only when it next sends.
          give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        }
        if (closing && std::chrono::steady_clock::now() > give_up) break;
        timeval tv{0, 50000};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n > 0) {
          std::lock_guard<std::mutex> lock(mu_);
          data_.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n == 0) break;
        if (errno != EAGAIN && errno != EINTR) break;
      }
      ::close(c);
    }
  }
  std::string path_;
  uint16_t port_ = 0;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::string data_;
};

// rsyslogd in the foreground with its own config: a unix socket input at
// DIR/log (RFC 5424 parsed: the special parser off), UDP and TCP inputs on
// loopback ports, every message written to DIR/messages as
// "PRI|HOSTNAME|APP|MSGID|MSG" lines.
class RsyslogServer {
 public:
  RsyslogServer(std::string dir, uint16_t udp_port, uint16_t tcp_port)
      : dir_(std::move(dir)), udp_(udp_port), tcp_(tcp_port) {}
  std::string socket() const { return dir_ + "/log"; }
  std::string messages() const { return dir_ + "/messages"; }
  bool Start() {
    std::ofstream conf(dir_ + "/rsyslog.conf");
    conf << "global(workDirectory=\"" << dir_ << "\" maxMessageSize=\"256k\")\n"
         << "module(load=\"imuxsock\" sysSock.use=\"off\")\n"
         << "input(type=\"imuxsock\" socket=\"" << socket() << "\" useSpecialParser=\"off\" parseHostname=\"on\")\n"
         << "module(load=\"imudp\")\ninput(type=\"imudp\" address=\"127.0.0.1\" port=\"" << udp_ << "\")\n"
         << "module(load=\"imtcp\")\ninput(type=\"imtcp\" address=\"127.0.0.1\" port=\"" << tcp_ << "\")\n"
         << "template(name=\"t\" type=\"string\" string=\"%pri%|%hostname%|%app-name%|%msgid%|%msg%\\n\")\n"
         << "*.* action(type=\"omfile\" file=\"" << messages() << "\" template=\"t\")\n";
    conf.close();
    if (!daemon_.Start({"rsyslogd", "-n", "-f", dir_ + "/rsyslog.conf", "-i", dir_ + "/rsyslogd.pid"})) return false;
    return WaitFor([this] { return std::filesystem::exists(socket()); }, std::chrono::seconds(10));
  }
  void Stop() { daemon_.Stop(); }
  std::vector<std::string> Lines() const {
    std::ifstream in(messages());
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::string dir_;
  uint16_t udp_, tcp_;
  Daemon daemon_;
};

// A socket of `type` bound to 127.0.0.1 on a port the kernel picks
// (written to *port).
inline int BindLoopback(int type, uint16_t* port) {
  const int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// A free loopback port (bound and released; good enough for a test).
inline uint16_t FreePort(int type) {
  uint16_t port = 0;
  ::close(BindLoopback(type, &port));
  return port;
}

}  // namespace kagami::testing
