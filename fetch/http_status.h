#pragma once
// What an HTTP status means to the Fetcher: its reason phrase (HTTP/2 sends
// none, and an error message should still read "HTTP 404 Not Found"),
// the absl status code an error with it gets, and whether asking again
// later may succeed.

#include <string_view>

#include "absl/status/status.h"

namespace kagami::fetch {

// The standard reason phrase of `status`; "" for codes without one.
std::string_view ReasonPhrase(long status);

// The code of the error a non-2xx, non-304 final status becomes.
absl::StatusCode ErrorCodeForHttpStatus(long status);

// 429 and 5xx: the server is busy or failing, not refusing this request.
inline bool HttpStatusMayPass(long status) { return status == 429 || (status >= 500 && status <= 599); }

}  // namespace kagami::fetch
