#pragma once
// HttpTestServer: a real HTTP/1.1 server on 127.0.0.1 (a free port) for
// tests of HTTP clients: the fetch library, TAXII and MISP pulls, rules
// updates. A test registers what each path answers, points its client at
// Url(path), and then reads back the requests the server received.
//
//   kagami::testing::HttpTestServer server;
//   server.Serve("/x.rules", {.body = "alert ..."});
//   server.Handle("/taxii2/", [](const HttpTestRequest& r) { ... });  // see Handle
//   ASSERT_TRUE(server.Start());
//   Fetch(server.Url("/x.rules")) ...;
//   EXPECT_EQ(server.RequestsTo("/x.rules").size(), 1u);
//
// - Connections are kept alive (HTTP/1.1) and served each on its own
//   thread; request bodies come with Content-Length or chunked, and
//   "Expect: 100-continue" is answered.
// - A response can be delayed, hang (nothing sent, or part of the body
//   sent) until the server stops, be sent chunked, close the connection,
//   or reset it.
// - HTTPS with UseTls (a certificate from TestCa, test_ca.h).
// - A path nobody registered answers 404 with "no handler for PATH".
// - Stop() (and the destructor) wakes delayed and hanging responses, closes
//   every connection and joins every thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/test_ca.h"

namespace kagami::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpTestRequest {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: "/collections/x/objects/?added_after=2024-01-01T00:00:00Z"
  std::string path;     // the target before '?'
  std::string query;    // after '?' (not decoded); "" when none
  std::string version;  // "HTTP/1.1"
  HttpHeaders headers;  // names lower-cased, values trimmed, in the order sent
  std::string body;     // de-chunked when sent chunked

  // The first header of that lower-case name; nullptr when absent.
  const std::string* Header(std::string_view lower_name) const;
};

struct HttpTestResponse {
  int status = 200;
  // Every member has an initializer, so that designated initializers
  // ({.status = 404, .body = "..."}) may leave any out under -Wextra.
  std::string reason{};   // empty: the standard phrase for `status`
  HttpHeaders headers{};  // sent as given; Content-Length is added unless given or chunked
  std::string body{};
  // Waits this long before sending anything (Stop ends the wait).
  std::chrono::milliseconds delay{0};
  // Sends nothing and holds the connection until the server stops.
  bool hang = false;
  // Sends the status, headers (with the full body's Content-Length) and
  // this many body bytes, then holds the connection until the server stops.
  std::optional<size_t> hang_after_body_bytes{};
  // Sends the body in chunked transfer coding, without Content-Length.
  bool chunked = false;
  // Closes the connection after this response ("Connection: close").
  bool close = false;
  // Sends nothing and resets the connection (TCP RST).
  bool reset = false;
};

using HttpTestHandler = std::function<HttpTestResponse(const HttpTestRequest&)>;

class HttpTestServer {
 public:
  HttpTestServer() = default;
  ~HttpTestServer() { Stop(); }
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // Serves HTTPS with this certificate and key (call before Start).
  void UseTls(const TestCertificate& certificate);

  // Binds 127.0.0.1 on a free port and starts serving. False, with why in
  // `error` when given, when the socket or the TLS set-up failed.
  bool Start(std::string* error = nullptr);
  void Stop();

  uint16_t port() const { return port_; }
  bool tls() const { return !tls_cert_pem_.empty(); }
  // "http://127.0.0.1:PORT" (https with TLS).
  std::string base_url() const;
  // base_url() + path; `path` begins with '/' and may carry a query.
  std::string Url(std::string_view path) const;

  // Requests are answered by the handler registered for their path: an
  // exact registration first, else the longest registration ending in '/'
  // that the path begins with ("/taxii2/" answers "/taxii2/api/x/").
  // Handlers run on the connections' threads, possibly at the same time,
  // and may be registered or replaced while the server runs.
  void Handle(std::string path, HttpTestHandler handler);
  // The same response to every request for `path`.
  void Serve(std::string path, HttpTestResponse response);

  // Every request received, in order of arrival (recorded before its
  // handler runs, so a request whose response hangs is there too).
  std::vector<HttpTestRequest> requests() const;
  std::vector<HttpTestRequest> RequestsTo(std::string_view path) const;
  size_t request_count() const;
  void ClearRequests();
  // Connections accepted (TLS handshakes that failed included).
  int connections() const { return connections_; }

 private:
  class Connection;
  void AcceptLoop();
  void ServeConnection(int fd);
  HttpTestHandler HandlerFor(const std::string& path) const;
  // Waits until `until` or Stop; true when stopped.
  bool WaitOrStop(std::chrono::steady_clock::time_point until);

  std::string tls_cert_pem_, tls_key_pem_;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept out of this header
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::map<std::string, HttpTestHandler, std::less<>> handlers_;
  std::vector<HttpTestRequest> requests_;
  std::set<int> open_fds_;
  std::vector<std::thread> connection_threads_;
};

}  // namespace kagami::testing
