#include "rules/update/rule_matcher.h"

#include <fnmatch.h>

#include "rules/rule_lexer.h"
#include "rules/text_util.h"
#include "rules/update/decimal.h"

namespace kagami::rules::update {

namespace {

// Python's fnmatch: no escapes, '*' crosses '/', a leading '.' is not special.
bool FnMatch(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), FNM_NOESCAPE) == 0;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// os.path.splitext: the last extension, ignoring leading dots.
std::string WithoutExtension(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return name;
  size_t first = 0;
  while (first < name.size() && name[first] == '.') ++first;
  if (dot < first) return name;
  return name.substr(0, dot);
}

}  // namespace

bool RuleMatcher::Parse(std::string_view raw, RuleMatcher* out, size_t* error_at, std::string* error) {
  *out = RuleMatcher();
  size_t lead = 0;
  const std::string_view text = Trim(raw, &lead);
  auto fail = [&](size_t offset, std::string why) {
    *error_at = lead + offset;
    *error = std::move(why);
    return false;
  };
  if (text.empty()) return fail(0, "empty matcher");
  if (text == "*") {
    out->kind_ = Kind::kAll;
    return true;
  }

  // sid, gid:sid, gid:sid:rev, comma separated; the first bad entry is
  // remembered for the message in case no other form fits.
  {
    std::vector<Id> ids;
    size_t bad_at = std::string_view::npos;
    std::string_view bad;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t comma = text.find(',', pos);
      if (comma == std::string_view::npos) comma = text.size();
      size_t entry_lead = 0;
      const std::string_view entry = Trim(text.substr(pos, comma - pos), &entry_lead);
      std::vector<std::string_view> parts;
      size_t p = 0;
      while (true) {
        const size_t colon = entry.find(':', p);
        parts.push_back(entry.substr(p, colon == std::string_view::npos ? std::string_view::npos : colon - p));
        if (colon == std::string_view::npos) break;
        p = colon + 1;
      }
      Id id;
      bool ok = parts.size() <= 3;
      if (ok && parts.size() == 1) ok = ParseDecimalU32(parts[0], &id.sid);
      if (ok && parts.size() >= 2) ok = ParseDecimalU32(parts[0], &id.gid) && ParseDecimalU32(parts[1], &id.sid);
      if (ok && parts.size() == 3) ok = id.has_rev = ParseDecimalU32(parts[2], &id.rev);
      if (!ok) {
        bad_at = pos + entry_lead;
        bad = entry;
        break;
      }
      ids.push_back(id);
      pos = comma + 1;
    }
    if (bad_at == std::string_view::npos) {
      out->kind_ = Kind::kIds;
      out->ids_ = std::move(ids);
      return true;
    }
    // Only a line that starts like a number was meant as a sid list.
    if (text.front() >= '0' && text.front() <= '9') {
      return fail(bad_at, bad.empty() ? std::string("empty entry in a sid list")
                                      : Cat("'", bad, "' is not a sid, gid:sid or gid:sid:rev"));
    }
  }

  if (text.starts_with("re:")) {
    size_t pattern_lead = 0;
    const std::string_view pattern = Trim(text.substr(3), &pattern_lead);
    if (pattern.empty()) return fail(3, "re: needs a regular expression");
    std::string why;
    size_t at = 0;
    if (!out->regex_.Compile(pattern, /*caseless=*/true, &why, &at)) {
      return fail(3 + pattern_lead + at, Cat("bad regular expression: ", why));
    }
    out->kind_ = Kind::kRegex;
    return true;
  }
  for (auto [prefix, kind] : {std::pair<std::string_view, Kind>{"filename:", Kind::kFilename},
                              std::pair<std::string_view, Kind>{"group:", Kind::kGroup}}) {
    if (!text.starts_with(prefix)) continue;
    const std::string_view pattern = Trim(text.substr(prefix.size()));
    if (pattern.empty()) return fail(prefix.size(), Cat(prefix, " needs a file name or pattern"));
    out->kind_ = kind;
    out->pattern_ = std::string(pattern);
    return true;
  }
  if (text.ends_with(".rules")) {
    out->kind_ = Kind::kGroup;
    out->pattern_ = std::string(text);
    return true;
  }
  if (text.starts_with("metadata:")) {
    size_t kv_lead = 0;
    const std::string_view kv = Trim(text.substr(9), &kv_lead);
    const size_t space = kv.find(' ');
    if (space == std::string_view::npos || Trim(kv.substr(space + 1)).empty()) {
      return fail(9 + kv_lead, "metadata: needs a key and a value, e.g. 'metadata: deployment perimeter'");
    }
    out->kind_ = Kind::kMetadata;
    out->key_ = Lower(Trim(kv.substr(0, space)));
    out->value_ = Lower(Trim(kv.substr(space + 1)));
    return true;
  }
  return fail(0, Cat("'", text,
                     "' is not a matcher: expected a sid, gid:sid, re:REGEX, group:FILE, filename:FILE, "
                     "metadata: KEY VALUE or *"));
}

bool RuleMatcher::Matches(const ManagedRule& rule, bool* limit_hit) const {
  switch (kind_) {
    case Kind::kAll:
      return true;
    case Kind::kIds:
      for (const Id& id : ids_) {
        if (id.gid == rule.gid && id.sid == rule.sid && (!id.has_rev || id.rev == rule.rev)) return true;
      }
      return false;
    case Kind::kRegex:
      return regex_.Search(rule.text, limit_hit);
    case Kind::kFilename:
      return FnMatch(pattern_, rule.file);
    case Kind::kGroup: {
      const std::string base = BaseName(rule.file);
      return FnMatch(pattern_, base) || FnMatch(pattern_, WithoutExtension(base));
    }
    case Kind::kMetadata:
      for (const std::string& entry : rule.metadata) {
        const std::string_view e = Trim(entry);
        const size_t space = e.find(' ');
        if (space == std::string_view::npos) continue;
        if (Lower(Trim(e.substr(0, space))) == key_ && Lower(Trim(e.substr(space + 1))) == value_) return true;
      }
      return false;
  }
  return false;
}

}  // namespace kagami::rules::update
