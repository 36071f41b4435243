#include "tests/support/http_test_server.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace kagami::testing {
namespace {

// Limits on what a request may hold; a test sending more has a bug.
constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 64 * 1024 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const std::string* Find(const HttpHeaders& headers, std::string_view lower_name) {
  for (const auto& [n, v] : headers) {
    if (n == lower_name) return &v;
  }
  return nullptr;
}

bool HasHeader(const HttpHeaders& headers, std::string_view lower_name) {
  for (const auto& [n, v] : headers) {
    if (Lower(n) == lower_name) return true;
  }
  return false;
}

const char* Reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 406: return "Not Acceptable";
    case 410: return "Gone";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

const std::string* HttpTestRequest::Header(std::string_view lower_name) const { return Find(headers, lower_name); }

// One accepted socket, plain or TLS, with the bytes read but not yet used.
class HttpTestServer::Connection {
 public:
  Connection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Connection() {
    if (ssl_) SSL_free(ssl_);
  }

  // Reads more bytes into the buffer; false at the end or on an error.
  bool Fill() {
    char buf[16384];
    const long n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }
  bool Write(std::string_view data) {
    while (!data.empty()) {
      const long n = ssl_ ? SSL_write(ssl_, data.data(), static_cast<int>(std::min<size_t>(data.size(), 1 << 20)))
                          : ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        if (!ssl_ && n < 0 && errno == EINTR) continue;
        return false;
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // The next line (without CRLF); nullopt when the peer closed first or
  // the line is longer than `max`.
  std::optional<std::string> Line(size_t max) {
    for (;;) {
      const size_t eol = in_.find("\r\n");
      if (eol != std::string::npos) {
        std::string line = in_.substr(0, eol);
        in_.erase(0, eol + 2);
        return line;
      }
      if (in_.size() > max || !Fill()) return std::nullopt;
    }
  }
  bool Take(size_t n, std::string* out) {
    while (in_.size() < n) {
      if (!Fill()) return false;
    }
    out->append(in_, 0, n);
    in_.erase(0, n);
    return true;
  }
  void Reset() {
    // SO_LINGER with a zero timeout makes close() send RST.
    linger l{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    if (ssl_) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
  }
  void CloseNotify() {
    if (ssl_) SSL_shutdown(ssl_);
  }

 private:
  int fd_;
  SSL* ssl_;
  std::string in_;
};

void HttpTestServer::UseTls(const TestCertificate& certificate) {
  tls_cert_pem_ = certificate.cert_pem;
  tls_key_pem_ = certificate.key_pem;
}

bool HttpTestServer::Start(std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
    ssl_ctx_ = nullptr;
    return false;
  };
  if (accept_thread_.joinable()) return fail("already started");
  if (tls()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return fail("SSL_CTX_new: " + OpenSslError());
    ssl_ctx_ = ctx;
    BIO* cert_bio = BIO_new_mem_buf(tls_cert_pem_.data(), static_cast<int>(tls_cert_pem_.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    const bool cert_ok = cert && SSL_CTX_use_certificate(ctx, cert) == 1;
    // Certificates after the first are the chain sent with it.
    while (cert_ok) {
      X509* extra = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
      if (!extra) break;
      SSL_CTX_add0_chain_cert(ctx, extra);
    }
    X509_free(cert);
    BIO_free(cert_bio);
    ERR_clear_error();  // the end of the PEM list reads as an error
    if (!cert_ok) return fail("TLS certificate: " + OpenSslError());
    BIO* key_bio = BIO_new_mem_buf(tls_key_pem_.data(), static_cast<int>(tls_key_pem_.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    const bool key_ok = key && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
    EVP_PKEY_free(key);
    BIO_free(key_bio);
    if (!key_ok) return fail("TLS key: " + OpenSslError());
  }

  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    return fail(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  if (::listen(listen_fd_, 64) != 0) return fail(std::string("listen: ") + std::strerror(errno));
  stopping_ = false;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return true;
}

void HttpTestServer::Stop() {
  if (!accept_thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  accept_thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    // Wakes connection threads blocked reading; they close their sockets.
    std::lock_guard<std::mutex> lock(mu_);
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connection_threads_);
  }
  for (std::thread& t : threads) t.join();
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
  ssl_ctx_ = nullptr;
}

std::string HttpTestServer::base_url() const {
  return std::string(tls() ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string HttpTestServer::Url(std::string_view path) const { return base_url() + std::string(path); }

void HttpTestServer::Handle(std::string path, HttpTestHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_[std::move(path)] = std::move(handler);
}

void HttpTestServer::Serve(std::string path, HttpTestResponse response) {
  Handle(std::move(path), [response = std::move(response)](const HttpTestRequest&) { return response; });
}

std::vector<HttpTestRequest> HttpTestServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

std::vector<HttpTestRequest> HttpTestServer::RequestsTo(std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HttpTestRequest> out;
  for (const HttpTestRequest& r : requests_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

size_t HttpTestServer::request_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

void HttpTestServer::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

HttpTestHandler HttpTestServer::HandlerFor(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = handlers_.find(path); it != handlers_.end()) return it->second;
  const HttpTestHandler* best = nullptr;
  size_t best_len = 0;
  for (const auto& [prefix, handler] : handlers_) {
    if (!prefix.empty() && prefix.back() == '/' && path.starts_with(prefix) && prefix.size() > best_len) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  if (best) return *best;
  return [](const HttpTestRequest& r) {
    return HttpTestResponse{.status = 404, .body = "no handler for " + r.path + "\n"};
  };
}

bool HttpTestServer::WaitOrStop(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  if (until == std::chrono::steady_clock::time_point::max()) {
    stop_cv_.wait(lock, [this] { return stopping_.load(); });
    return true;
  }
  return stop_cv_.wait_until(lock, until, [this] { return stopping_.load(); });
}

void HttpTestServer::AcceptLoop() {
  while (!stopping_) {
    // Polled, not blocked in accept, so that Stop is seen within 50 ms.
    pollfd p{listen_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, 50);
    if (ready <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.insert(fd);
    connection_threads_.emplace_back([this, fd] { ServeConnection(fd); });
  }
}

void HttpTestServer::ServeConnection(int fd) {
  // A peer that closed makes a write raise SIGPIPE, which would end the
  // test binary; blocked in this thread, the write fails with EPIPE.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

  SSL* ssl = nullptr;
  if (ssl_ctx_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      // The client refused the certificate, or went away.
      ERR_clear_error();
      SSL_free(ssl);
      ssl = nullptr;
      std::lock_guard<std::mutex> lock(mu_);
      open_fds_.erase(fd);
      ::close(fd);
      return;
    }
  }
  auto conn = std::make_unique<Connection>(fd, ssl);

  for (bool keep_alive = true; keep_alive && !stopping_;) {
    HttpTestRequest req;
    std::optional<std::string> line = conn->Line(kMaxHead);
    while (line && line->empty()) line = conn->Line(kMaxHead);  // stray CRLFs between requests
    if (!line) break;
    {
      const size_t sp1 = line->find(' ');
      const size_t sp2 = sp1 == std::string::npos ? sp1 : line->find(' ', sp1 + 1);
      if (sp2 == std::string::npos) {
        conn->Write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        break;
      }
      req.method = line->substr(0, sp1);
      req.target = line->substr(sp1 + 1, sp2 - sp1 - 1);
      req.version = line->substr(sp2 + 1);
      const size_t q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
    }
    bool head_ok = true;
    for (size_t head = 0;;) {
      std::optional<std::string> h = conn->Line(kMaxHead);
      if (!h || (head += h->size()) > kMaxHead) {
        head_ok = false;
        break;
      }
      if (h->empty()) break;
      const size_t colon = h->find(':');
      if (colon == std::string::npos) continue;
      req.headers.emplace_back(Lower(std::string_view(*h).substr(0, colon)),
                               std::string(Trim(std::string_view(*h).substr(colon + 1))));
    }
    if (!head_ok) break;

    if (const std::string* expect = req.Header("expect"); expect && Lower(*expect) == "100-continue") {
      conn->Write("HTTP/1.1 100 Continue\r\n\r\n");
    }
    bool body_ok = true;
    const std::string* te = req.Header("transfer-encoding");
    if (te && Lower(*te).find("chunked") != std::string::npos) {
      for (;;) {
        std::optional<std::string> size_line = conn->Line(kMaxHead);
        size_t n = 0;
        if (!size_line || std::sscanf(size_line->c_str(), "%zx", &n) != 1 || n > kMaxBody - req.body.size()) {
          body_ok = false;
          break;
        }
        if (n == 0) {
          // Trailer fields, then the empty line.
          for (std::optional<std::string> t = conn->Line(kMaxHead); t && !t->empty(); t = conn->Line(kMaxHead)) {
          }
          break;
        }
        std::string crlf;
        if (!conn->Take(n, &req.body) || !conn->Take(2, &crlf)) {
          body_ok = false;
          break;
        }
      }
    } else if (const std::string* cl = req.Header("content-length")) {
      const unsigned long long n = std::strtoull(cl->c_str(), nullptr, 10);
      body_ok = n <= kMaxBody && conn->Take(static_cast<size_t>(n), &req.body);
    }
    if (!body_ok) break;

    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
    }
    const HttpTestResponse resp = HandlerFor(req.path)(req);

    if (resp.delay.count() > 0 && WaitOrStop(std::chrono::steady_clock::now() + resp.delay)) break;
    if (resp.reset) {
      conn->Reset();
      break;
    }
    if (resp.hang) {
      WaitOrStop(std::chrono::steady_clock::time_point::max());
      break;
    }
    const std::string* connection = req.Header("connection");
    keep_alive = !resp.close && req.version == "HTTP/1.1" && !(connection && Lower(*connection) == "close");

    std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " +
                      (resp.reason.empty() ? Reason(resp.status) : resp.reason) + "\r\n";
    for (const auto& [n, v] : resp.headers) out += n + ": " + v + "\r\n";
    const bool no_body = resp.status == 204 || resp.status == 304 || (resp.status >= 100 && resp.status < 200);
    if (resp.chunked && !no_body) {
      out += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body && !HasHeader(resp.headers, "content-length")) {
      out += "Content-Length: " + std::to_string(resp.body.size()) + "\r\n";
    }
    if (!keep_alive) out += "Connection: close\r\n";
    out += "\r\n";
    std::string body = no_body || req.method == "HEAD" ? "" : resp.body;
    if (resp.hang_after_body_bytes) body.resize(std::min(body.size(), *resp.hang_after_body_bytes));
    if (resp.chunked && !body.empty()) {
      // Chunks of at most 4 KiB, so that a client sees the body arrive in parts.
      std::string coded;
      for (size_t at = 0; at < body.size(); at += 4096) {
        const size_t n = std::min<size_t>(4096, body.size() - at);
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        coded += size;
        coded.append(body, at, n);
        coded += "\r\n";
      }
      body.swap(coded);
    }
    if (resp.chunked && !no_body && !resp.hang_after_body_bytes) body += "0\r\n\r\n";
    if (!conn->Write(out) || !conn->Write(body)) break;
    if (resp.hang_after_body_bytes) {
      WaitOrStop(std::chrono::steady_clock::time_point::max());
      break;
    }
    if (!keep_alive) conn->CloseNotify();
  }

  conn.reset();
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
}

}  // namespace kagami::testing
