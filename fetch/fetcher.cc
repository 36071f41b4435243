#include "fetch/fetcher.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "fetch/http_status.h"
#include "fetch/text.h"

#ifndef KAGAMI_VERSION
#define KAGAMI_VERSION "dev"
#endif

namespace kagami::fetch {
namespace {

constexpr long kMaxRedirects = 5;
constexpr std::chrono::milliseconds kMaxBackoff{5 * 60 * 1000};
constexpr std::chrono::milliseconds kMaxRetryAfter{60 * 1000};

// curl_global_init is not thread-safe and must run before any handle
// exists; the first Fetcher of the process runs it, whatever thread that is.
CURLcode GlobalInit() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

// The URL as it may appear in a message: a password in it becomes "***".
std::string Redacted(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const size_t host_begin = scheme_end + 3;
  const size_t authority_end = std::min(url.find_first_of("/?#", host_begin), url.size());
  const size_t at = url.rfind('@', authority_end - 1);
  if (at == std::string_view::npos || at < host_begin) return std::string(url);
  const size_t colon = url.find(':', host_begin);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return absl::StrCat(AsAbsl(url.substr(0, colon + 1)), "***", AsAbsl(url.substr(at)));
}

// "2 s", "0.25 s": timeouts as a person would write them.
std::string Seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return absl::StrCat(ms.count() / 1000, " s");
  return absl::StrCat(static_cast<double>(ms.count()) / 1000.0, " s");
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// What one attempt collected through libcurl's callbacks.
struct Transfer {
  size_t max_bytes = 0;
  bool over_limit = false;
  std::string body;
  std::string reason;  // the final status line's reason phrase
  std::vector<std::pair<std::string, std::string>> headers;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  if (len > t->max_bytes - t->body.size()) {
    // Returning less than was offered makes libcurl abort the transfer.
    t->over_limit = true;
    return 0;
  }
  t->body.append(data, len);
  return len;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t len = size * count;
  std::string_view line(data, len);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after a redirect or a 100 Continue): only the
    // last one's headers describe the body.
    t->headers.clear();
    t->reason.clear();
    const size_t code_begin = line.find(' ');
    const size_t reason_begin = code_begin == std::string_view::npos ? code_begin : line.find(' ', code_begin + 1);
    if (reason_begin != std::string_view::npos) t->reason = std::string(Trim(line.substr(reason_begin + 1)));
    return len;
  }
  if (line.empty()) return len;
  if ((line.front() == ' ' || line.front() == '\t') && !t->headers.empty()) {
    // Obsolete line folding: the value continues.
    absl::StrAppend(&t->headers.back().second, " ", AsAbsl(Trim(line)));
    return len;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  t->headers.emplace_back(Lower(line.substr(0, colon)), std::string(Trim(line.substr(colon + 1))));
  return len;
}

const std::string* FindHeader(const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return &v;
  }
  return nullptr;
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool Append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (!grown) return false;
  list.release();
  list.reset(grown);
  return true;
}

// The local path a file:// URL names, decoded; empty when it names none.
std::string FilePath(const std::string& url) {
  CURLU* u = curl_url();
  if (!u) return "";
  std::string path;
  char* scheme = nullptr;
  char* p = nullptr;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && EqualsIgnoreCase(scheme, "file") &&
      curl_url_get(u, CURLUPART_PATH, &p, CURLU_URLDECODE) == CURLUE_OK) {
    path = p;
  }
  curl_free(scheme);
  curl_free(p);
  curl_url_cleanup(u);
  return path;
}

// The outcome of one attempt that failed.
struct Failure {
  absl::StatusCode code;
  std::string cause;
  bool may_pass = false;
  std::chrono::milliseconds retry_after{0};  // asked for by the server
};

}  // namespace

const std::string* Response::Header(std::string_view lower_name) const { return FindHeader(headers, lower_name); }

struct Fetcher::Impl {
  FetchOptions options;
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  // One attempt: fills `response` and returns nothing, or says why not.
  std::optional<Failure> Attempt(const Request& request, bool post, Response* response);
  Failure CurlFailure(CURLcode rc, const Transfer& t, const Request& request);
};

Fetcher::Fetcher(FetchOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  if (impl_->options.user_agent.empty()) impl_->options.user_agent = "kagami/" KAGAMI_VERSION;
  if (GlobalInit() == CURLE_OK) impl_->curl = curl_easy_init();
}

Fetcher::~Fetcher() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

absl::StatusOr<Response> Fetcher::Fetch(const Request& request) {
  std::string method = request.method.empty() ? "GET" : request.method;
  for (char& c : method) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  const std::string prefix = absl::StrCat(method, " ", Redacted(request.url), ": ");
  if (method != "GET" && method != "POST") {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "unsupported method (GET or POST)"));
  }
  // libcurl would guess "http://" for a bare host name; a feed URL
  // without its scheme is more likely a mistake.
  const size_t scheme_end = request.url.find("://");
  const std::string scheme = Lower(std::string_view(request.url).substr(0, scheme_end));
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https" && scheme != "file")) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "not an http://, https:// or file:// URL"));
  }
  for (size_t i = 0; i < request.headers.size(); ++i) {
    // Named by position: a header may hold a credential.
    const std::string& h = request.headers[i];
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || HasLineBreak(h)) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "header ", i + 1, " is not \"Name: value\" on one line"));
    }
  }
  if (HasLineBreak(request.etag) || HasLineBreak(request.last_modified) || HasLineBreak(request.bearer_token)) {
    return absl::InvalidArgumentError(absl::StrCat(prefix, "a validator or token holds a line break"));
  }
  if (!impl_->curl) return absl::InternalError(absl::StrCat(prefix, "libcurl could not be initialised"));

  // libcurl's "Couldn't open file" names neither the path nor the reason.
  if (const std::string path = FilePath(request.url); !path.empty()) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      const absl::StatusCode code = err == ENOENT || err == ENOTDIR ? absl::StatusCode::kNotFound
                                    : err == EACCES                 ? absl::StatusCode::kPermissionDenied
                                                                    : absl::StatusCode::kUnknown;
      return absl::Status(code, absl::StrCat(prefix, "cannot read ", path, ": ", std::strerror(err)));
    }
    if (S_ISDIR(st.st_mode)) return absl::InvalidArgumentError(absl::StrCat(prefix, path, " is a directory"));
  }

  const int retries = std::max(0, impl_->options.retries);
  std::chrono::milliseconds wait = impl_->options.backoff;
  for (int attempt = 1;; ++attempt) {
    Response response;
    std::optional<Failure> failure = impl_->Attempt(request, method == "POST", &response);
    if (!failure) {
      response.attempts = attempt;
      return response;
    }
    if (!failure->may_pass || attempt > retries) {
      std::string message = absl::StrCat(prefix, failure->cause);
      if (attempt > 1) absl::StrAppend(&message, " (", attempt, " attempts)");
      return absl::Status(failure->code, message);
    }
    std::this_thread::sleep_for(std::max(wait, std::min(failure->retry_after, kMaxRetryAfter)));
    wait = std::min(wait * 2, kMaxBackoff);
  }
}

std::optional<Failure> Fetcher::Impl::Attempt(const Request& request, bool post, Response* response) {
  curl_easy_reset(curl);  // keeps the connection cache, forgets the last request's options
  error[0] = '\0';
  Transfer t;
  t.max_bytes = options.max_bytes;

  Slist headers;
  bool ok = true;
  for (const std::string& h : request.headers) ok = ok && Append(headers, h);
  if (!request.bearer_token.empty()) ok = ok && Append(headers, "Authorization: Bearer " + request.bearer_token);
  if (!request.etag.empty()) ok = ok && Append(headers, "If-None-Match: " + request.etag);
  if (!request.last_modified.empty()) ok = ok && Append(headers, "If-Modified-Since: " + request.last_modified);
  // Without this libcurl waits for "100 Continue" before sending a larger
  // POST body, which some servers never send.
  if (post) ok = ok && Append(headers, "Expect:");
  if (!ok) return Failure{absl::StatusCode::kResourceExhausted, "out of memory building the request"};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  // A server must not be able to send us to a local file.
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, kMaxRedirects);
  // Timeouts by signal would touch the whole process; the threaded
  // resolver times out without one.
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  // A Content-Length over the limit fails before any of the body comes;
  // without one, OnBody stops the transfer when the limit is passed.
  if (options.max_bytes < static_cast<size_t>(std::numeric_limits<curl_off_t>::max())) {
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
  }
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (!request.basic_user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl, CURLOPT_USERNAME, request.basic_user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, request.basic_password.c_str());
  }
  if (post) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  } else {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  }

  const CURLcode rc = curl_easy_perform(curl);
  if (t.over_limit || rc == CURLE_FILESIZE_EXCEEDED) {
    return Failure{absl::StatusCode::kResourceExhausted,
                   absl::StrCat("body larger than the limit of ", options.max_bytes, " bytes")};
  }
  if (rc != CURLE_OK) return CurlFailure(rc, t, request);

  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  const char* scheme = nullptr;
  curl_easy_getinfo(curl, CURLINFO_SCHEME, &scheme);
  if (scheme && EqualsIgnoreCase(scheme, "file")) {
    // libcurl reports no status for a file; its headers are made up.
    response->status = 200;
    response->body = std::move(t.body);
    return std::nullopt;
  }

  if (status == 304) {
    response->status = status;
    response->not_modified = true;
    // A 304 need not repeat the validators; the ones sent still hold.
    const std::string* etag = FindHeader(t.headers, "etag");
    const std::string* modified = FindHeader(t.headers, "last-modified");
    response->etag = etag ? *etag : request.etag;
    response->last_modified = modified ? *modified : request.last_modified;
    response->headers = std::move(t.headers);
    return std::nullopt;
  }
  if (status < 200 || status > 299) {
    std::string reason = t.reason.empty() ? std::string(ReasonPhrase(status)) : t.reason;
    Failure f{ErrorCodeForHttpStatus(status), absl::StrCat("HTTP ", status, reason.empty() ? "" : " ", reason),
              HttpStatusMayPass(status)};
    if (status == 429 || status == 503) {
      int64_t seconds = 0;
      if (const std::string* after = FindHeader(t.headers, "retry-after");
          after && absl::SimpleAtoi(*after, &seconds) && seconds > 0) {
        f.retry_after = std::chrono::milliseconds(std::min<int64_t>(seconds, kMaxRetryAfter.count() / 1000) * 1000);
      }
    }
    return f;
  }

  response->status = status;
  response->body = std::move(t.body);
  if (const std::string* v = FindHeader(t.headers, "etag")) response->etag = *v;
  if (const std::string* v = FindHeader(t.headers, "last-modified")) response->last_modified = *v;
  if (const std::string* v = FindHeader(t.headers, "content-type")) response->content_type = *v;
  response->headers = std::move(t.headers);
  return std::nullopt;
}

Failure Fetcher::Impl::CurlFailure(CURLcode rc, const Transfer& t, const Request& request) {
  // libcurl's buffer says what happened to this transfer; its generic text
  // for the code is the fallback.
  const std::string detail = error[0] ? std::string(error) : std::string(curl_easy_strerror(rc));
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connected_us = 0;
      curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connected_us);
      std::string cause;
      if (connected_us == 0 && options.connect_timeout <= options.timeout) {
        cause = absl::StrCat("no connection within ", Seconds(options.connect_timeout));
      } else {
        cause = absl::StrCat("timed out after ", Seconds(options.timeout));
        if (!t.body.empty()) absl::StrAppend(&cause, " (", t.body.size(), " bytes received)");
      }
      return Failure{absl::StatusCode::kDeadlineExceeded, cause, true};
    }
    case CURLE_COULDNT_CONNECT: {
      // The system's reason ("Connection refused") says more than
      // libcurl's text, and the URL already names the host and port.
      long os_errno = 0;
      curl_easy_getinfo(curl, CURLINFO_OS_ERRNO, &os_errno);
      return Failure{absl::StatusCode::kUnavailable,
                     os_errno ? absl::StrCat("cannot connect: ", std::strerror(static_cast<int>(os_errno))) : detail,
                     true};
    }
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return Failure{absl::StatusCode::kUnavailable, detail, true};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Failure{absl::StatusCode::kUnavailable, detail};
    case CURLE_PEER_FAILED_VERIFICATION: {
      const std::string store = options.ca_file.empty() ? "the system CA store" : "CA file " + options.ca_file;
      std::string cause = curl_easy_strerror(rc);
      if (error[0]) absl::StrAppend(&cause, ": ", error);
      return Failure{absl::StatusCode::kFailedPrecondition, absl::StrCat(cause, " (", store, ")")};
    }
    case CURLE_SSL_CACERT_BADFILE:
      return Failure{absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("cannot use CA file ", options.ca_file, ": ", detail)};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: {
      // After a redirect the URL at fault is not the one asked for.
      long redirects = 0;
      char* where = nullptr;
      curl_easy_getinfo(curl, CURLINFO_REDIRECT_COUNT, &redirects);
      curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &where);
      if (redirects > 0 && where) {
        return Failure{absl::StatusCode::kInvalidArgument,
                       absl::StrCat("redirected to ", Redacted(where), ": ", detail)};
      }
      return Failure{absl::StatusCode::kInvalidArgument, detail};
    }
    case CURLE_TOO_MANY_REDIRECTS:
      return Failure{absl::StatusCode::kUnknown, absl::StrCat("more than ", kMaxRedirects, " redirects")};
    case CURLE_FILE_COULDNT_READ_FILE:
      return Failure{absl::StatusCode::kNotFound, absl::StrCat("cannot read ", FilePath(request.url), ": ", detail)};
    default:
      return Failure{absl::StatusCode::kUnknown, detail};
  }
}

}  // namespace kagami::fetch
