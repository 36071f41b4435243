// The Fetcher against real servers on 127.0.0.1 (HttpTestServer, with TLS
// from a TestCa made per test) and against files.

#include "fetch/fetcher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <fstream>
#include <string>

#include "tests/support/http_test_server.h"
#include "tests/support/peers.h"
#include "tests/support/test_ca.h"

namespace kagami::fetch {
namespace {

using testing::HttpTestRequest;
using testing::HttpTestResponse;
using testing::HttpTestServer;
using testing::ScratchDir;
using testing::TestCa;

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class FetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A proxy in the environment must not take loopback requests.
    ::setenv("no_proxy", "127.0.0.1,localhost", 1);
    ::setenv("NO_PROXY", "127.0.0.1,localhost", 1);
  }
  void StartServer() {
    std::string error;
    ASSERT_TRUE(server_.Start(&error)) << error;
  }
  // Quick retries, so that tests of them stay short.
  static FetchOptions Quick() {
    FetchOptions o;
    o.backoff = std::chrono::milliseconds(1);
    o.connect_timeout = std::chrono::seconds(5);
    o.timeout = std::chrono::seconds(20);
    return o;
  }
  static Request Get(const std::string& url) {
    Request r;
    r.url = url;
    return r;
  }

  HttpTestServer server_;
};

TEST_F(FetcherTest, GetReturnsBodyValidatorsAndLowerCasedHeaders) {
  server_.Serve("/x.rules", {.headers = {{"Content-Type", "text/plain"},
                                         {"ETag", "\"abc\""},
                                         {"Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"},
                                         {"X-TAXII-Date-Added-First", "2024-01-01T00:00:00Z"}},
                             .body = "alert tcp any any -> any any (sid:1;)\n"});
  StartServer();
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/x.rules")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->not_modified);
  EXPECT_EQ(r->body, "alert tcp any any -> any any (sid:1;)\n");
  EXPECT_EQ(r->etag, "\"abc\"");
  EXPECT_EQ(r->last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(r->content_type, "text/plain");
  EXPECT_EQ(r->attempts, 1);
  ASSERT_NE(r->Header("x-taxii-date-added-first"), nullptr);
  EXPECT_EQ(*r->Header("x-taxii-date-added-first"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(r->Header("X-TAXII-Date-Added-First"), nullptr);  // names are lower-cased
  EXPECT_EQ(r->Header("absent"), nullptr);

  const auto seen = server_.RequestsTo("/x.rules");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  ASSERT_NE(seen[0].Header("user-agent"), nullptr);
  EXPECT_THAT(*seen[0].Header("user-agent"), StartsWith("kagami/"));
  EXPECT_EQ(seen[0].Header("accept-encoding"), nullptr);  // the body's bytes as published
}

TEST_F(FetcherTest, NotFoundNamesMethodUrlAndStatus) {
  StartServer();
  Fetcher fetcher(Quick());
  const std::string url = server_.Url("/x.rules");
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(r.status().message()), "GET " + url + ": HTTP 404 Not Found");
  EXPECT_EQ(server_.request_count(), 1u);  // 404 is not retried
}

TEST_F(FetcherTest, OtherClientErrorsAreNotRetried) {
  server_.Serve("/forbidden", {.status = 403});
  server_.Serve("/auth", {.status = 401});
  server_.Serve("/odd", {.status = 418, .reason = "I'm a teapot"});
  StartServer();
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/forbidden")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(": HTTP 403 Forbidden"));
  r = fetcher.Fetch(Get(server_.Url("/auth")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  r = fetcher.Fetch(Get(server_.Url("/odd")));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(": HTTP 418 I'm a teapot"));
  EXPECT_EQ(server_.request_count(), 3u);
}

TEST_F(FetcherTest, PostSendsBodyAndHeaders) {
  server_.Serve("/events/restSearch", {.headers = {{"Content-Type", "application/json"}}, .body = "{\"response\":[]}"});
  StartServer();
  Fetcher fetcher(Quick());
  Request req = Get(server_.Url("/events/restSearch"));
  req.method = "POST";
  // Larger than libcurl's threshold for "Expect: 100-continue".
  req.body = "{\"returnFormat\":\"json\",\"pad\":\"" + std::string(200'000, 'x') + "\"}";
  req.headers = {"Content-Type: application/json", "Accept: application/json", "X-Custom: one two"};
  absl::StatusOr<Response> r = fetcher.Fetch(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "{\"response\":[]}");
  EXPECT_EQ(r->content_type, "application/json");
  const auto seen = server_.RequestsTo("/events/restSearch");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].body, req.body);
  ASSERT_NE(seen[0].Header("content-type"), nullptr);
  EXPECT_EQ(*seen[0].Header("content-type"), "application/json");
  ASSERT_NE(seen[0].Header("accept"), nullptr);
  EXPECT_EQ(*seen[0].Header("accept"), "application/json");
  ASSERT_NE(seen[0].Header("x-custom"), nullptr);
  EXPECT_EQ(*seen[0].Header("x-custom"), "one two");
  EXPECT_EQ(seen[0].Header("expect"), nullptr);
}

TEST_F(FetcherTest, BasicAuthentication) {
  server_.Serve("/taxii2/", {.body = "{}"});
  StartServer();
  Fetcher fetcher(Quick());
  Request req = Get(server_.Url("/taxii2/"));
  req.basic_user = "taxii";
  req.basic_password = "s3cret";
  ASSERT_TRUE(fetcher.Fetch(req).ok());
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_NE(seen[0].Header("authorization"), nullptr);
  EXPECT_EQ(*seen[0].Header("authorization"), "Basic dGF4aWk6czNjcmV0");
}

TEST_F(FetcherTest, BearerToken) {
  server_.Serve("/attributes/restSearch", {.body = "{}"});
  StartServer();
  Fetcher fetcher(Quick());
  Request req = Get(server_.Url("/attributes/restSearch"));
  req.bearer_token = "tok-123";
  ASSERT_TRUE(fetcher.Fetch(req).ok());
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  ASSERT_NE(seen[0].Header("authorization"), nullptr);
  EXPECT_EQ(*seen[0].Header("authorization"), "Bearer tok-123");
}

TEST_F(FetcherTest, EtagRoundTripGivesNotModified) {
  server_.Handle("/emerging.rules.tar.gz", [](const HttpTestRequest& r) {
    const std::string* inm = r.Header("if-none-match");
    if (inm && *inm == "\"v1\"") return HttpTestResponse{.status = 304, .headers = {{"ETag", "\"v1\""}}};
    return HttpTestResponse{.headers = {{"ETag", "\"v1\""}}, .body = "archive"};
  });
  StartServer();
  Fetcher fetcher(Quick());
  Request req = Get(server_.Url("/emerging.rules.tar.gz"));
  absl::StatusOr<Response> first = fetcher.Fetch(req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->body, "archive");
  EXPECT_EQ(first->etag, "\"v1\"");

  req.etag = first->etag;
  absl::StatusOr<Response> second = fetcher.Fetch(req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->not_modified);
  EXPECT_EQ(second->status, 304);
  EXPECT_EQ(second->body, "");
  EXPECT_EQ(second->etag, "\"v1\"");
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("if-none-match"), nullptr);
  ASSERT_NE(seen[1].Header("if-none-match"), nullptr);
  EXPECT_EQ(*seen[1].Header("if-none-match"), "\"v1\"");
}

TEST_F(FetcherTest, LastModifiedRoundTripKeepsValidatorsA304LeavesOut) {
  const std::string stamp = "Mon, 01 Jan 2024 00:00:00 GMT";
  server_.Handle("/feed.csv", [stamp](const HttpTestRequest& r) {
    const std::string* ims = r.Header("if-modified-since");
    if (ims && *ims == stamp) return HttpTestResponse{.status = 304};
    return HttpTestResponse{.headers = {{"Last-Modified", stamp}}, .body = "type,value\n"};
  });
  StartServer();
  Fetcher fetcher(Quick());
  Request req = Get(server_.Url("/feed.csv"));
  absl::StatusOr<Response> first = fetcher.Fetch(req);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->last_modified, stamp);
  req.last_modified = first->last_modified;
  absl::StatusOr<Response> second = fetcher.Fetch(req);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->not_modified);
  EXPECT_EQ(second->last_modified, stamp);  // the 304 did not repeat it
  const auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 2u);
  ASSERT_NE(seen[1].Header("if-modified-since"), nullptr);
  EXPECT_EQ(*seen[1].Header("if-modified-since"), stamp);
}

TEST_F(FetcherTest, RetriesA503ThenSucceeds) {
  std::atomic<int> calls{0};
  server_.Handle("/busy", [&calls](const HttpTestRequest&) {
    if (calls++ == 0) return HttpTestResponse{.status = 503};
    return HttpTestResponse{.body = "done"};
  });
  StartServer();
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/busy")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->attempts, 2);
  EXPECT_EQ(server_.request_count(), 2u);
}

TEST_F(FetcherTest, GivesUpAfterTheRetries) {
  server_.Serve("/down", {.status = 502});
  server_.Serve("/limited", {.status = 429});
  StartServer();
  FetchOptions o = Quick();
  o.retries = 2;
  Fetcher fetcher(o);
  const std::string url = server_.Url("/down");
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(r.status().message()), "GET " + url + ": HTTP 502 Bad Gateway (3 attempts)");
  EXPECT_EQ(server_.RequestsTo("/down").size(), 3u);

  r = fetcher.Fetch(Get(server_.Url("/limited")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(server_.RequestsTo("/limited").size(), 3u);
}

TEST_F(FetcherTest, ConnectionRefusedIsRetriedThenReported) {
  // A port that was just free and has no listener.
  uint16_t port = 0;
  {
    HttpTestServer gone;
    ASSERT_TRUE(gone.Start());
    port = gone.port();
  }
  FetchOptions o = Quick();
  o.retries = 1;
  Fetcher fetcher(o);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(r.status().message()), "GET " + url + ": cannot connect: Connection refused (2 attempts)");
}

TEST_F(FetcherTest, ConnectionResetIsRetried) {
  std::atomic<int> calls{0};
  server_.Handle("/flaky", [&calls](const HttpTestRequest&) {
    if (calls++ == 0) return HttpTestResponse{.reset = true};
    return HttpTestResponse{.body = "ok"};
  });
  StartServer();
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/flaky")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->attempts, 2);
}

TEST_F(FetcherTest, TimesOutOnAHangingServer) {
  server_.Serve("/hang", {.hang = true});
  StartServer();
  FetchOptions o = Quick();
  o.timeout = std::chrono::milliseconds(300);
  o.retries = 0;
  Fetcher fetcher(o);
  const std::string url = server_.Url("/hang");
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(std::string(r.status().message()), "GET " + url + ": timed out after 0.3 s");
}

TEST_F(FetcherTest, TimesOutInTheMiddleOfTheBody) {
  server_.Serve("/slow", {.body = std::string(10'000, 'a'), .hang_after_body_bytes = 1000});
  StartServer();
  FetchOptions o = Quick();
  o.timeout = std::chrono::milliseconds(300);
  o.retries = 1;
  Fetcher fetcher(o);
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/slow")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("timed out after 0.3 s (1000 bytes received) (2 attempts)"));
  EXPECT_EQ(server_.request_count(), 2u);  // a timeout may pass: retried
}

TEST_F(FetcherTest, BodyOverMaxBytesFails) {
  server_.Serve("/big", {.body = std::string(100'000, 'b')});
  server_.Serve("/big-chunked", {.body = std::string(100'000, 'b'), .chunked = true});
  server_.Serve("/fits", {.body = std::string(1000, 'b'), .chunked = true});
  StartServer();
  FetchOptions o = Quick();
  o.max_bytes = 1000;
  Fetcher fetcher(o);
  for (const char* path : {"/big", "/big-chunked"}) {
    const std::string url = server_.Url(path);
    absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(std::string(r.status().message()), "GET " + url + ": body larger than the limit of 1000 bytes");
  }
  EXPECT_EQ(server_.request_count(), 2u);  // not retried
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/fits")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 1000u);
}

TEST_F(FetcherTest, FollowsRedirectsButNotToFiles) {
  server_.Serve("/old", {.status = 302, .headers = {{"Location", "/new"}}});
  server_.Serve("/new", {.body = "moved"});
  server_.Serve("/evil", {.status = 302, .headers = {{"Location", "file:///etc/passwd"}}});
  StartServer();
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/old")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "moved");
  r = fetcher.Fetch(Get(server_.Url("/evil")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              StartsWith("GET " + server_.Url("/evil") + ": redirected to file:///etc/passwd: "));
}

TEST_F(FetcherTest, ReusesTheConnection) {
  server_.Serve("/a", {.body = "a"});
  server_.Serve("/b", {.body = "b"});
  StartServer();
  Fetcher fetcher(Quick());
  ASSERT_TRUE(fetcher.Fetch(Get(server_.Url("/a"))).ok());
  ASSERT_TRUE(fetcher.Fetch(Get(server_.Url("/b"))).ok());
  EXPECT_EQ(server_.request_count(), 2u);
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(FetcherTest, RejectsBadRequestsBeforeSending) {
  StartServer();
  Fetcher fetcher(Quick());
  Request put = Get(server_.Url("/x"));
  put.method = "PUT";
  EXPECT_EQ(fetcher.Fetch(put).status().code(), absl::StatusCode::kInvalidArgument);
  Request injected = Get(server_.Url("/x"));
  injected.headers = {"X-A: 1\r\nX-B: 2"};
  EXPECT_EQ(fetcher.Fetch(injected).status().code(), absl::StatusCode::kInvalidArgument);
  Request nameless = Get(server_.Url("/x"));
  nameless.headers = {"no colon"};
  EXPECT_EQ(fetcher.Fetch(nameless).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(fetcher.Fetch(Get("gopher://127.0.0.1/x")).status().code(), absl::StatusCode::kInvalidArgument);
  // libcurl would guess http:// for this.
  EXPECT_EQ(std::string(fetcher.Fetch(Get("127.0.0.1/x")).status().message()),
            "GET 127.0.0.1/x: not an http://, https:// or file:// URL");
  EXPECT_EQ(server_.request_count(), 0u);
}

TEST_F(FetcherTest, MasksAPasswordInTheUrl) {
  StartServer();
  Fetcher fetcher(Quick());
  const std::string url = "http://user:hunter2@127.0.0.1:" + std::to_string(server_.port()) + "/x";
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(std::string(r.status().message()),
            "GET http://user:***@127.0.0.1:" + std::to_string(server_.port()) + "/x: HTTP 404 Not Found");
}

TEST_F(FetcherTest, ReadsFileUrls) {
  ScratchDir dir;
  {
    std::ofstream(dir / "local.rules") << "alert ip any any -> any any (sid:2;)\n";
  }
  Fetcher fetcher(Quick());
  absl::StatusOr<Response> r = fetcher.Fetch(Get("file://" + (dir / "local.rules")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "alert ip any any -> any any (sid:2;)\n");

  const std::string missing = dir / "missing.rules";
  r = fetcher.Fetch(Get("file://" + missing));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(r.status().message()),
            "GET file://" + missing + ": cannot read " + missing + ": No such file or directory");

  r = fetcher.Fetch(Get("file://" + dir.path()));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("is a directory"));
}

TEST_F(FetcherTest, FileUrlOverMaxBytesFails) {
  ScratchDir dir;
  {
    std::ofstream(dir / "big.rules") << std::string(5000, 'x');
  }
  FetchOptions o = Quick();
  o.max_bytes = 100;
  Fetcher fetcher(o);
  absl::StatusOr<Response> r = fetcher.Fetch(Get("file://" + (dir / "big.rules")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
}

class FetcherTlsTest : public FetcherTest {
 protected:
  void SetUp() override {
    FetcherTest::SetUp();
    ca_file_ = dir_ / "ca.pem";
    ASSERT_TRUE(ca_.WriteCertFile(ca_file_));
    server_.Serve("/secure.rules", {.body = "secret rules"});
  }
  ScratchDir dir_;
  TestCa ca_;
  std::string ca_file_;
};

TEST_F(FetcherTlsTest, VerifiesWithTheCaFile) {
  server_.UseTls(ca_.Issue({"127.0.0.1", "localhost"}));
  StartServer();
  EXPECT_EQ(server_.base_url().substr(0, 8), "https://");
  FetchOptions o = Quick();
  o.ca_file = ca_file_;
  Fetcher fetcher(o);
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/secure.rules")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "secret rules");
  // By name as well as by address.
  r = fetcher.Fetch(Get("https://localhost:" + std::to_string(server_.port()) + "/secure.rules"));
  ASSERT_TRUE(r.ok()) << r.status();
}

TEST_F(FetcherTlsTest, FailsVerificationWithoutTheCa) {
  server_.UseTls(ca_.Issue());
  StartServer();
  FetchOptions o = Quick();
  o.retries = 3;
  Fetcher fetcher(o);
  const std::string url = server_.Url("/secure.rules");
  absl::StatusOr<Response> r = fetcher.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), StartsWith("GET " + url + ": SSL peer certificate"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("(the system CA store)"));
  EXPECT_EQ(server_.request_count(), 0u);
  EXPECT_EQ(server_.connections(), 1);  // not retried

  // A CA file that is not the server's CA fails the same way, naming it.
  TestCa other("Another CA");
  const std::string other_file = dir_ / "other.pem";
  ASSERT_TRUE(other.WriteCertFile(other_file));
  o.ca_file = other_file;
  Fetcher with_other(o);
  r = with_other.Fetch(Get(url));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("SSL peer certificate"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("(CA file " + other_file + ")"));
}

TEST_F(FetcherTlsTest, FailsVerificationForAnotherNameOrAnExpiredCertificate) {
  for (const bool expired : {false, true}) {
    HttpTestServer server;
    server.Serve("/secure.rules", {.body = "x"});
    server.UseTls(expired ? ca_.Issue({"127.0.0.1"}, true) : ca_.Issue({"feeds.example.org"}));
    ASSERT_TRUE(server.Start());
    FetchOptions o = Quick();
    o.ca_file = ca_file_;
    Fetcher fetcher(o);
    absl::StatusOr<Response> r = fetcher.Fetch(Get(server.Url("/secure.rules")));
    ASSERT_FALSE(r.ok()) << "expired=" << expired;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
    EXPECT_EQ(server.request_count(), 0u);
  }
}

TEST_F(FetcherTlsTest, MissingCaFileIsReported) {
  server_.UseTls(ca_.Issue());
  StartServer();
  FetchOptions o = Quick();
  o.ca_file = dir_ / "absent.pem";
  Fetcher fetcher(o);
  absl::StatusOr<Response> r = fetcher.Fetch(Get(server_.Url("/secure.rules")));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(o.ca_file));
}

// The test server's own contract, which other tests lean on.
TEST(HttpTestServerTest, PrefixHandlersAndUnknownPaths) {
  ::setenv("no_proxy", "127.0.0.1,localhost", 1);
  HttpTestServer server;
  server.Serve("/taxii2/", {.body = "prefix"});
  server.Serve("/taxii2/exact", {.body = "exact"});
  ASSERT_TRUE(server.Start());
  Fetcher fetcher;
  Request req;
  req.url = server.Url("/taxii2/api/collections/?limit=5");
  absl::StatusOr<Response> r = fetcher.Fetch(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "prefix");
  req.url = server.Url("/taxii2/exact");
  r = fetcher.Fetch(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "exact");
  req.url = server.Url("/other");
  EXPECT_EQ(fetcher.Fetch(req).status().code(), absl::StatusCode::kNotFound);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].path, "/taxii2/api/collections/");
  EXPECT_EQ(seen[0].query, "limit=5");
  EXPECT_EQ(seen[0].target, "/taxii2/api/collections/?limit=5");
  EXPECT_EQ(seen[0].version, "HTTP/1.1");
  server.ClearRequests();
  EXPECT_EQ(server.request_count(), 0u);
}

}  // namespace
}  // namespace kagami::fetch
