#pragma once
// Zeek Intelligence Framework files (the input Zeek's Intel::read_files
// takes): tab-separated, with '#' header lines:
//
//   #separator \x09          the field separator, \xHH escapes allowed
//   #set_separator ,  #empty_field (empty)  #unset_field -
//   #fields indicator indicator_type meta.source meta.desc meta.url ...
//
// Columns come in any order; indicator and indicator_type are required.
// meta.source -> source, meta.desc -> description, meta.url -> reference,
// meta.confidence or meta.cif_confidence (0-100, high/medium/low) ->
// confidence, meta.campaign -> campaigns, meta.malware -> malware; other meta
// columns are read past. A value equal to #unset_field is absent, one equal
// to #empty_field is empty; \xHH escapes in values are decoded as Zeek does.
//
// indicator_type:
//   Intel::ADDR        one address                    kIp
//   Intel::SUBNET      CIDR                           kIp
//   Intel::DOMAIN                                     kDomain
//   Intel::URL         "host/path", no scheme         kUrl
//   Intel::SOFTWARE                                   kUserAgent
//   Intel::CERT_HASH   40 hex (Zeek's SHA-1) or 64    kCertSha1 / kCertSha256
//   Intel::FILE_HASH   32, 40 or 64 hex               kFileMd5 / Sha1 / Sha256
//   Intel::JA3         (from JA3 add-on packages)     kJa3
// Zeek matches Intel::SOFTWARE against software names it identifies, which
// include HTTP User-Agent strings; Kagami compares the value with the HTTP
// User-Agent header byte for byte.
// Intel::USER_NAME, Intel::EMAIL, Intel::FILE_NAME and Intel::PUBKEY_HASH are
// not network indicators Kagami sees: one note per type per file counts them.
// Any other type, a bad value or a line with the wrong number of fields is a
// warning with its line (and column), and the line is skipped.

#include <string>
#include <string_view>

#include "rules/feeds/indicator.h"

namespace kagami::feeds {

// Reads the file in blocks (ReadFileInBlocks). False when the file cannot be
// read, has no #fields header before its data, or lacks the indicator /
// indicator_type columns.
bool ReadZeekIntelFile(const std::string& path, const FeedOptions& options, IndicatorSink* sink,
                       FeedReport* report);
bool ReadZeekIntelString(std::string_view text, std::string_view display_name,
                         const FeedOptions& options, IndicatorSink* sink, FeedReport* report);

}  // namespace kagami::feeds
