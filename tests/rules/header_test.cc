#include "gtest/gtest.h"
#include "rules/rule_loader.h"
#include "tests/rules/rule_test_util.h"

namespace kagami::rules {
namespace {

using testing::Error;
using testing::One;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

Rule WithHeader(const std::string& header, const LoadOptions& o = {}) {
  return One(header + " (msg:\"x\"; sid:1;)", o);
}

TEST(Header, ActionsAndProtocols) {
  EXPECT_EQ(WithHeader("alert tcp any any -> any any").action, Action::kAlert);
  EXPECT_EQ(WithHeader("pass udp any any -> any any").action, Action::kPass);
  EXPECT_EQ(WithHeader("drop ip any any -> any any").action, Action::kDrop);
  EXPECT_EQ(WithHeader("reject tcp any any -> any any").action, Action::kReject);
  for (const char* p : {"ip", "tcp", "udp", "icmp", "icmpv4", "icmpv6", "pkthdr", "http", "http1", "dns",
                        "tls", "ssh", "smtp", "ftp", "smb", "dcerpc"}) {
    EXPECT_EQ(WithHeader(std::string("alert ") + p + " any any -> any any").protocol, p);
  }
  EXPECT_EQ(WithHeader("alert HTTP any any -> any any").protocol, "http");
  EXPECT_EQ(Error("log tcp any any -> any any (sid:1;)"), "1:1: unknown rule action 'log' (expected alert, pass, drop or reject)");
  EXPECT_EQ(Error("alert foo any any -> any any (sid:1;)"), "1:7: unknown protocol 'foo'");
}

TEST(Header, AddressForms) {
  Rule r = WithHeader("alert tcp 1.2.3.4 any -> 10.0.0.0/8 any");
  EXPECT_TRUE(r.src_addr.Contains(Ip("1.2.3.4")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("1.2.3.5")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("10.255.0.1")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("11.0.0.0")));
  EXPECT_TRUE(r.src_port.is_any());

  r = WithHeader("alert tcp 192.168.1.77/24 any -> 2001:db8::/32 any");  // host bits set
  EXPECT_TRUE(r.src_addr.Contains(Ip("192.168.1.0")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("192.168.1.255")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("192.168.2.0")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("2001:db8:ffff::1")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("2001:db9::")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.0.0.1")));

  r = WithHeader("alert tcp ::1 any -> 10.0.0.0/255.255.0.0 any");
  EXPECT_TRUE(r.src_addr.Contains(Ip("::1")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("10.0.200.1")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.1.0.0")));

  r = WithHeader("alert tcp [1.1.1.1, 2.2.2.0/24,[3.3.3.3,::2]] any -> 1.0.0.0-1.0.0.9 any");
  EXPECT_TRUE(r.src_addr.Contains(Ip("1.1.1.1")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("2.2.2.200")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("3.3.3.3")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("::2")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("1.1.1.2")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("1.0.0.9")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("1.0.0.10")));
}

TEST(Header, AddressNegation) {
  Rule r = WithHeader("alert tcp !1.2.3.4 any -> [10.0.0.0/8,!10.1.0.0/16] any");
  EXPECT_FALSE(r.src_addr.Contains(Ip("1.2.3.4")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("1.2.3.5")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("2001:db8::1")));  // !IPv4 includes IPv6
  EXPECT_TRUE(r.dst_addr.Contains(Ip("10.0.0.1")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.1.2.3")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("11.0.0.1")));

  // Only negated items: everything except them.
  r = WithHeader("alert tcp [!1.1.1.1,!2.2.2.2] any -> ![10.0.0.0/8,192.168.0.0/16] any");
  EXPECT_FALSE(r.src_addr.Contains(Ip("1.1.1.1")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("2.2.2.2")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("3.3.3.3")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.9.9.9")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("192.168.1.1")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("172.16.0.1")));

  // A negated nested list with its own exception.
  r = WithHeader("alert tcp [1.0.0.0/8,![1.2.0.0/16,!1.2.3.0/24]] any -> any any");
  EXPECT_TRUE(r.src_addr.Contains(Ip("1.1.1.1")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("1.2.4.1")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("1.2.3.1")));

  EXPECT_EQ(Error("alert tcp !any any -> any any (sid:1;)"), "1:11: '!any' is not a valid address (it matches nothing)");
  EXPECT_EQ(Error("alert tcp [1.2.3.4,!1.2.3.4] any -> any any (sid:1;)"),
            "1:11: address '[1.2.3.4,!1.2.3.4]' matches nothing");
}

TEST(Header, Variables) {
  Rule r = WithHeader("alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS");
  EXPECT_TRUE(r.src_addr.Contains(Ip("192.168.4.4")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("172.20.0.1")));
  EXPECT_FALSE(r.src_addr.Contains(Ip("8.8.8.8")));
  EXPECT_TRUE(r.dst_addr.Contains(Ip("8.8.8.8")));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.0.0.1")));
  EXPECT_TRUE(r.dst_port.Contains(80));
  EXPECT_FALSE(r.dst_port.Contains(8080));

  r = WithHeader("alert tcp [$HOME_NET,!192.168.1.0/24] $FILE_DATA_PORTS -> !$HOME_NET $SHELLCODE_PORTS");
  EXPECT_FALSE(r.src_addr.Contains(Ip("192.168.1.1")));
  EXPECT_TRUE(r.src_addr.Contains(Ip("192.168.2.1")));
  EXPECT_TRUE(r.src_port.Contains(110));
  EXPECT_TRUE(r.src_port.Contains(143));
  EXPECT_TRUE(r.src_port.Contains(80));
  EXPECT_FALSE(r.dst_port.Contains(80));
  EXPECT_TRUE(r.dst_port.Contains(81));
  EXPECT_FALSE(r.dst_addr.Contains(Ip("10.0.0.1")));

  LoadOptions o;
  o.variables["HOME_NET"] = "[10.5.0.0/16]";
  o.variables["$MY_PORTS"] = "[8000:8080,$HTTP_PORTS]";
  r = WithHeader("alert tcp $EXTERNAL_NET any -> $HOME_NET $MY_PORTS", o);
  EXPECT_TRUE(r.src_addr.Contains(Ip("192.168.1.1")));  // overridden HOME_NET
  EXPECT_FALSE(r.src_addr.Contains(Ip("10.5.1.1")));
  EXPECT_TRUE(r.dst_port.Contains(8040));
  EXPECT_TRUE(r.dst_port.Contains(80));

  EXPECT_EQ(Error("alert tcp $NOPE any -> any any (sid:1;)"), "1:11: unknown variable '$NOPE'");
  o.variables["A"] = "[1.1.1.1,$B]";
  o.variables["B"] = "$A";
  std::string e = Error("alert tcp any any -> $A any (sid:1;)", o);
  EXPECT_NE(e.find("1:22: variable '$A' refers to itself"), std::string::npos) << e;
  o.variables["BAD"] = "[1.1.1.1,nonsense]";
  EXPECT_EQ(Error("alert tcp any any -> [2.2.2.2,$BAD] any (sid:1;)", o),
            "1:31: invalid address 'nonsense' (in the value of $BAD)");
  o.variables["HOME_NET"] = "any";
  EXPECT_NE(Error("alert tcp $EXTERNAL_NET any -> any any (sid:1;)", o).find("'!any'"), std::string::npos);
}

TEST(Header, Ports) {
  Rule r = WithHeader("alert tcp any [80,443,8000:8100] -> any 1024:");
  EXPECT_TRUE(r.src_port.Contains(443));
  EXPECT_TRUE(r.src_port.Contains(8050));
  EXPECT_FALSE(r.src_port.Contains(8101));
  EXPECT_TRUE(r.dst_port.Contains(65535));
  EXPECT_FALSE(r.dst_port.Contains(1023));
  r = WithHeader("alert udp any :1023 -> any ![53,[100:200,!150]]");
  EXPECT_TRUE(r.src_port.Contains(0));
  EXPECT_FALSE(r.src_port.Contains(1024));
  EXPECT_FALSE(r.dst_port.Contains(53));
  EXPECT_FALSE(r.dst_port.Contains(120));
  EXPECT_TRUE(r.dst_port.Contains(150));
  EXPECT_TRUE(r.dst_port.Contains(54));
  r = WithHeader("alert tcp any [1:80,!21:23] -> any !80");
  EXPECT_TRUE(r.src_port.Contains(20));
  EXPECT_FALSE(r.src_port.Contains(22));
  EXPECT_FALSE(r.dst_port.Contains(80));

  EXPECT_EQ(Error("alert tcp any 70000 -> any any (sid:1;)"),
            "1:15: invalid port '70000' (expected any, N, N:M, N: or :M with 0-65535)");
  EXPECT_EQ(Error("alert tcp any 90:80 -> any any (sid:1;)"), "1:15: invalid port range '90:80': start is above end");
  EXPECT_EQ(Error("alert tcp any [80 -> any any (sid:1;)"), "1:15: unterminated '[' in rule header");
  EXPECT_TRUE(WithHeader("alert ip any 80 -> any any").src_port.Contains(80));  // as Suricata loads them
  EXPECT_EQ(Error("alert icmp any any -> any 1 (sid:1;)"), "1:27: 'icmp' rules have no ports: use 'any'");
}

TEST(Header, Direction) {
  EXPECT_FALSE(WithHeader("alert tcp any any -> any any").bidirectional);
  EXPECT_TRUE(WithHeader("alert tcp any any <> any any").bidirectional);
  EXPECT_EQ(Error("alert tcp any any <- any any (sid:1;)"), "1:19: invalid direction '<-' (expected -> or <>)");
  EXPECT_EQ(Error("alert tcp any any -> any (sid:1;)"),
            "1:25: expected 'source port direction destination port' after the protocol, found 4 fields instead of 5");
}

TEST(Header, AppLayerWithoutAddresses) {
  Rule r = One("alert http (msg:\"x\"; sid:1;)");
  EXPECT_EQ(r.protocol, "http");
  EXPECT_TRUE(r.src_addr.is_any());
  EXPECT_TRUE(r.dst_port.is_any());
}

TEST(Variables, Defaults) {
  auto v = DefaultVariables();
  EXPECT_EQ(v["HOME_NET"], "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
  EXPECT_EQ(v["EXTERNAL_NET"], "!$HOME_NET");
  EXPECT_EQ(v["HTTP_PORTS"], "80");
  EXPECT_EQ(v["FILE_DATA_PORTS"], "[$HTTP_PORTS,110,143]");
  for (const char* k : {"HTTP_SERVERS", "SMTP_SERVERS", "SQL_SERVERS", "DNS_SERVERS", "TELNET_SERVERS",
                        "DC_SERVERS", "DNP3_SERVER", "DNP3_CLIENT", "MODBUS_CLIENT", "MODBUS_SERVER",
                        "ENIP_CLIENT", "ENIP_SERVER", "SHELLCODE_PORTS", "ORACLE_PORTS", "SSH_PORTS",
                        "DNP3_PORTS", "MODBUS_PORTS", "FTP_PORTS", "GENEVE_PORTS", "VXLAN_PORTS",
                        "TEREDO_PORTS", "AIM_SERVERS"}) {
    EXPECT_TRUE(v.count(k)) << k;
    (void)k;
  }
}

}  // namespace
}  // namespace kagami::rules
