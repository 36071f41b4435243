// kagami: the command-line front end. Subcommands are wired in cli/*_command.cc.
#include <cstdio>
int main() { std::fputs("kagami: not built yet\n", stderr); return 2; }
