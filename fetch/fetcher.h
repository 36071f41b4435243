#pragma once
// Fetcher: downloads what `kagami rules update` and `kagami intel pull` read
// (rule files, tarballs, checksums, TAXII 2.1 and MISP responses) over
// http://, https:// and file:// URLs, through libcurl.
//
// Contract:
// - HTTPS verifies the peer with the system CA store, or with `ca_file`.
// - A conditional GET (`etag` / `last_modified` in the request) that the
//   server answers with 304 returns `not_modified` and no body.
// - Failures that may pass (connection errors, timeouts, HTTP 429 and 5xx)
//   are retried `retries` times, waiting `backoff` and doubling it each
//   time (each wait at most 5 min; a 429 or 503 whose Retry-After asks for
//   longer, up to 60 s, is given that); other failures (4xx, TLS
//   verification, a body over `max_bytes`, a bad URL) are returned at once.
// - Every error message names the method and the URL (a password in it
//   masked), then the cause: "GET URL: HTTP 404 Not Found".
// - Redirects are followed (up to 5, to http:// and https:// only). The
//   body is the bytes as sent (no Accept-Encoding is offered), so that a
//   published checksum can be checked against it.
// - Status codes of errors: NotFound (HTTP 404 and 410, a missing file),
//   Unauthenticated (401), PermissionDenied (403), ResourceExhausted (429,
//   a body over max_bytes), Unavailable (5xx, connection failures),
//   DeadlineExceeded (timeouts), FailedPrecondition (TLS verification, an
//   unusable CA file), InvalidArgument (a bad URL, method or header),
//   Unknown otherwise.
// - One Fetcher per thread; it keeps libcurl's connection cache between
//   requests.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace kagami::fetch {

struct FetchOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds timeout{120'000};  // the whole transfer
  int retries = 3;                             // further attempts after a failure that may pass
  std::chrono::milliseconds backoff{1'000};    // before the first retry; doubled after each
  std::string ca_file;                         // empty: the system CA store
  size_t max_bytes = size_t{1} << 30;          // a larger body is an error
  std::string user_agent;                      // empty: "kagami/<version>"
};

struct Request {
  std::string url;
  std::string method = "GET";  // GET or POST
  std::string body;            // POST body
  std::vector<std::string> headers;  // "Name: value" (Accept, Content-Type, MISP's Authorization, ...)
  // Basic authentication (TAXII servers); empty user: none.
  std::string basic_user, basic_password;
  // "Authorization: Bearer TOKEN"; empty: none.
  std::string bearer_token;
  // Conditional GET: the validators a previous response returned.
  std::string etag;
  std::string last_modified;
};

struct Response {
  long status = 0;            // HTTP status; 200 for a file:// URL that was read
  bool not_modified = false;  // 304: the validators matched, no body
  std::string body;
  std::string etag;           // validators to send next time
  std::string last_modified;
  std::string content_type;
  int attempts = 1;           // 1 + retries used
  // Every response header, names lower-cased, in the order received (TAXII
  // paginates with X-TAXII-Date-Added-First/-Last).
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header of that (lower-case) name; nullptr when absent.
  const std::string* Header(std::string_view lower_name) const;
};

class Fetcher {
 public:
  explicit Fetcher(FetchOptions options = {});
  ~Fetcher();
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // A non-2xx status other than 304 is an error (after retries where they
  // may help): "GET URL: HTTP 404 Not Found".
  absl::StatusOr<Response> Fetch(const Request& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kagami::fetch
