#include "rules/feeds/pull/taxii_client.h"

#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "rules/feeds/pull/pull_url.h"
#include "rules/feeds/pull/taxii_envelope.h"

namespace kagami::feeds::pull {
namespace {

class TaxiiSession {
 public:
  TaxiiSession(fetch::Fetcher* fetcher, const TaxiiOptions& options, PullStats* stats)
      : fetcher_(fetcher), options_(options), stats_(stats) {}

  absl::StatusOr<fetch::Response> Get(const std::string& url) {
    fetch::Request request;
    request.url = url;
    request.headers.push_back(absl::StrCat("Accept: ", kTaxiiMediaType));
    request.basic_user = options_.user;
    request.basic_password = options_.password;
    request.bearer_token = options_.token;
    ++stats_->requests;
    absl::StatusOr<fetch::Response> response = fetcher_->Fetch(request);
    if (!response.ok() && response.status().code() == absl::StatusCode::kUnauthenticated) {
      return absl::Status(response.status().code(),
                          absl::StrCat(response.status().message(),
                                       options_.user.empty() && options_.token.empty()
                                           ? " (the server wants credentials: --user/--password-file or --token-file)"
                                           : " (the server refused the credentials given)"));
    }
    return response;
  }

  // The API root URL, with a trailing '/'.
  absl::StatusOr<std::string> ApiRoot() {
    absl::StatusOr<fetch::Response> r = Get(options_.url);
    if (!r.ok()) return r.status();
    TaxiiServerInfo info;
    std::string error;
    if (!ParseTaxiiServerInfo(r->body, &info, &error)) return BadBody(options_.url, error);
    if (!info.is_discovery) return WithTrailingSlash(options_.url);
    std::string root = info.default_root;
    if (root.empty() && !info.api_roots.empty()) root = info.api_roots.front();
    if (root.empty()) return BadBody(options_.url, "the discovery resource names no API root");
    return WithTrailingSlash(ResolveUrl(options_.url, root));
  }

  absl::Status CheckCollection(const std::string& root) {
    const std::string url = root + "collections/";
    absl::StatusOr<fetch::Response> r = Get(url);
    if (!r.ok()) return r.status();
    std::vector<TaxiiCollection> collections;
    std::string error;
    if (!ParseTaxiiCollections(r->body, &collections, &error)) return BadBody(url, error);
    std::vector<std::string> readable;
    for (const TaxiiCollection& c : collections) {
      if (c.id == options_.collection) {
        if (c.can_read) return absl::OkStatus();
        return absl::PermissionDeniedError(
            absl::StrCat("GET ", url, ": collection ", options_.collection, " is listed but not readable (can_read false)"));
      }
      if (c.can_read) readable.push_back(c.title.empty() ? c.id : absl::StrCat(c.id, " (", c.title, ")"));
    }
    return absl::NotFoundError(absl::StrCat("GET ", url, ": no collection ", options_.collection, " at ", root,
                                            "; readable collections: ",
                                            readable.empty() ? "none" : absl::StrJoin(readable, ", ")));
  }

  absl::Status ReadObjects(const std::string& root, PullState* state, MergeCounts* counts) {
    const std::string base = absl::StrCat(root, "collections/", QueryEscape(options_.collection), "/objects/");
    std::string added_after = state->cursor;
    std::string next;
    std::string last_added;  // the latest X-TAXII-Date-Added-Last
    std::set<std::string> nexts_seen;
    for (;;) {
      std::vector<std::string> params;
      if (!added_after.empty()) params.push_back("added_after=" + QueryEscape(added_after));
      if (options_.limit > 0) params.push_back(absl::StrCat("limit=", options_.limit));
      if (!next.empty()) params.push_back("next=" + QueryEscape(next));
      const std::string url = params.empty() ? base : absl::StrCat(base, "?", absl::StrJoin(params, "&"));
      absl::StatusOr<fetch::Response> r = Get(url);
      if (!r.ok()) return r.status();
      TaxiiEnvelope envelope;
      std::string error;
      if (!ParseTaxiiEnvelope(r->body, &envelope, &error)) return BadBody(url, error);
      stats_->received += envelope.objects.size();
      stats_->ignored += envelope.ignored;
      for (StoredObject& o : envelope.objects) state->Merge(std::move(o), counts);
      const std::string* page_last = r->Header("x-taxii-date-added-last");
      if (page_last && !page_last->empty() && CompareVersions(*page_last, last_added) > 0) last_added = *page_last;
      if (!envelope.more) break;
      if (!envelope.next.empty()) {
        if (!nexts_seen.insert(envelope.next).second) {
          return BadBody(url, absl::StrCat("the server sent the same \"next\" (", envelope.next, ") twice"));
        }
        next = envelope.next;
        continue;
      }
      // No `next`: page on by date added, as the spec allows.
      if (page_last && !page_last->empty() && *page_last != added_after) {
        added_after = *page_last;
        next.clear();
        continue;
      }
      return BadBody(url, "\"more\" is true but neither \"next\" nor X-TAXII-Date-Added-Last says where to go on");
    }
    if (!last_added.empty() && CompareVersions(last_added, state->cursor) > 0) state->cursor = last_added;
    return absl::OkStatus();
  }

 private:
  static absl::Status BadBody(const std::string& url, const std::string& why) {
    return absl::DataLossError(absl::StrCat("GET ", url, ": ", why));
  }

  fetch::Fetcher* fetcher_;
  const TaxiiOptions& options_;
  PullStats* stats_;
};

}  // namespace

absl::Status PullTaxii(fetch::Fetcher* fetcher, const TaxiiOptions& options, PullState* state, MergeCounts* counts,
                       PullStats* stats) {
  TaxiiSession session(fetcher, options, stats);
  absl::StatusOr<std::string> root = session.ApiRoot();
  if (!root.ok()) return root.status();
  if (absl::Status s = session.CheckCollection(*root); !s.ok()) return s;
  return session.ReadObjects(*root, state, counts);
}

}  // namespace kagami::feeds::pull
