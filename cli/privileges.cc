#include "cli/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kagami::cli {
namespace {

std::string Errno(const std::string& what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// Only CAP_NET_RAW in the effective and permitted sets (capset through the
// raw system call: libcap is not a dependency for two words).
bool KeepOnlyNetRaw() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  data[CAP_NET_RAW / 32].effective = data[CAP_NET_RAW / 32].permitted = 1u << (CAP_NET_RAW % 32);
  return syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

std::string DropPrivileges(const std::string& user, const std::string& group) {
  std::vector<char> buf(1 << 16);
  passwd pw{};
  passwd* pw_found = nullptr;
  if (getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pw_found) != 0 || pw_found == nullptr) {
    return absl::StrCat("--user ", user, ": no such user");
  }
  uid_t uid = pw.pw_uid;
  gid_t gid = pw.pw_gid;
  if (!group.empty()) {
    std::vector<char> gbuf(1 << 16);
    struct group gr{};
    struct group* gr_found = nullptr;
    if (getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &gr_found) != 0 || gr_found == nullptr) {
      return absl::StrCat("--group ", group, ": no such group");
    }
    gid = gr.gr_gid;
  }
  if (geteuid() != 0) {
    if (geteuid() == uid && getegid() == gid) return "";  // already that user
    return absl::StrCat("cannot switch to user ", user, ": not running as root");
  }
  // Bounding set first (needs CAP_SETPCAP, which root still has): nothing
  // but CAP_NET_RAW can ever come back, even through an executable.
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    if (cap != CAP_NET_RAW && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Errno(absl::StrCat("dropping capability ", cap, " from the bounding set"));
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  // Keep the permitted set across the uid change, then cut it to NET_RAW.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Errno("PR_SET_KEEPCAPS");
  if (setgroups(1, &gid) != 0) return Errno("setgroups");
  if (setresgid(gid, gid, gid) != 0) return Errno(absl::StrCat("setresgid ", gid));
  if (setresuid(uid, uid, uid) != 0) return Errno(absl::StrCat("setresuid ", uid));
  if (!KeepOnlyNetRaw()) return Errno("capset");
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("PR_SET_NO_NEW_PRIVS");
  // Proof rather than trust: root must be out of reach now.
  if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) return "could regain root after dropping privileges";
  return "";
}

}  // namespace kagami::cli
