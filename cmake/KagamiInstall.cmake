# What `cmake --install` (and `make install PREFIX=P`) puts where, and the
# Debian package `cpack -G DEB` (`make deb`) makes of it:
#   bin/kagami
#   share/kagami/packs/PACK/{*.rules, intel/, README.md}   found by the binary as ../share/kagami/packs
#   share/kagami/classification.config                     the shipped classtypes (also compiled in)
#   share/man/man1/kagami.1                                 from the binary's help text (scripts/make-man)
#   lib/systemd/system/kagami@.service                      one sensor per interface, with the configuration
#   etc/logrotate.d/kagami                                  rotates /var/log/kagami/*.json, SIGHUP
#   etc/kagami/kagami.yaml                                  the annotated example configuration
# The build tree gets the same relative layout for its packs: a link
# build/PRESET/share/kagami/packs -> rules/packs, so build/PRESET/cli/kagami
# finds them the way an installed binary does.
include(GNUInstallDirs)

file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/share/kagami)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/rules/packs ${CMAKE_BINARY_DIR}/share/kagami/packs SYMBOLIC)

install(TARGETS kagami RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Packs: the rules, the generated feeds and the README; their test cases and
# reviewed sources stay in the repository.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/rules/packs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/kagami/packs
        PATTERN "tests" EXCLUDE PATTERN "source" EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/rules/classification.config DESTINATION ${CMAKE_INSTALL_DATADIR}/kagami)

# The unit names the binary and the configuration by their installed paths,
# known only at install time (cmake --install --prefix P; CPack installs
# with prefix /usr into a staging DESTDIR), so it is written then.
# /usr/lib/systemd/system and PREFIX/lib/systemd/system are both on
# systemd's search path (the latter through `systemctl link`). logrotate
# and the configuration go to /etc for a /usr install (the package), else
# under PREFIX/etc.
install(CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(etc \"/etc\")
  else()
    set(etc \"\${CMAKE_INSTALL_PREFIX}/etc\")
  endif()
  set(KAGAMI_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(KAGAMI_CONFIG \"\${etc}/kagami/kagami.yaml\")
  set(unit \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/kagami@.service\")
  message(STATUS \"Installing: \${unit}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/dist/kagami@.service.in\" \"\${unit}\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${etc}/logrotate.d/kagami\")
  configure_file(\"${CMAKE_SOURCE_DIR}/dist/kagami.logrotate\" \"\$ENV{DESTDIR}\${etc}/logrotate.d/kagami\" COPYONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${KAGAMI_CONFIG}\")
  configure_file(\"${CMAKE_SOURCE_DIR}/etc/kagami.yaml\" \"\$ENV{DESTDIR}\${KAGAMI_CONFIG}\" COPYONLY)
")

# The man page is made from the built binary (not in fuzz builds, which
# have no use for it).
if(NOT KAGAMI_FUZZ)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/kagami.1
                     COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/scripts/make-man $<TARGET_FILE:kagami>
                             ${CMAKE_BINARY_DIR}/kagami.1
                     DEPENDS kagami ${CMAKE_SOURCE_DIR}/scripts/make-man
                     COMMENT "Writing the kagami(1) man page from the help text")
  add_custom_target(kagami-man ALL DEPENDS ${CMAKE_BINARY_DIR}/kagami.1)
  install(FILES ${CMAKE_BINARY_DIR}/kagami.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# Debian package: dependencies worked out from the binary's libraries.
set(CPACK_PACKAGE_NAME kagami)
set(CPACK_PACKAGE_VENDOR "Kagami")
set(CPACK_PACKAGE_CONTACT "Kagami developers <kagami@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Network indicator matching engine: Suricata rules and threat feeds, EVE JSON alerts")
set(CPACK_PACKAGE_INSTALL_DIRECTORY kagami)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The logrotate snippet and the configuration are the admin's to edit:
# conffiles dpkg keeps.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/dist/conffiles)
include(CPack)
