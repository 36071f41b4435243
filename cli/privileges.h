#pragma once
// Dropping root after a sensor has opened what needs root (capture sockets,
// the EVE file, the control socket): --user / --group.

#include <string>

namespace kagami::cli {

// Switches the process to `user` (and `group`, or the user's own group
// when empty): supplementary groups reset, real/effective/saved ids all
// changed, every capability given up except CAP_NET_RAW (kept in the
// effective, permitted and bounding sets, so a re-created interface can be
// reopened), no_new_privs set. Then checks that root cannot be regained.
// Returns an empty string on success, else why it failed: the caller must
// not run on as root when asked not to.
std::string DropPrivileges(const std::string& user, const std::string& group);

}  // namespace kagami::cli
