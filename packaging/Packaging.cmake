# Install rules and the Debian package (CPack DEB). Included from the top-level CMakeLists.txt.
#   cmake --build build --target package      -> build/avara-onboard_VERSION_ARCH.deb
# Layout of the package: /usr/bin, the man page, bash and zsh completion, /usr/share/doc with the
# user docs and examples, the templated systemd units and the sysusers.d entry of their user.
include(GNUInstallDirs)

set(_pkg ${CMAKE_CURRENT_LIST_DIR})
set(_gen ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gen})

# The man page, from scdoc source: avara-onboard.1 (for `man -l`) and the gzipped copy that is
# installed (Debian wants man pages compressed with gzip -9n).
find_program(SCDOC_PROGRAM scdoc)
find_program(GZIP_PROGRAM gzip REQUIRED)
set(AVARA_MAN_PAGE ${_gen}/avara-onboard.1)
if(SCDOC_PROGRAM)
  add_custom_command(
    OUTPUT ${AVARA_MAN_PAGE} ${AVARA_MAN_PAGE}.gz
    COMMAND ${SCDOC_PROGRAM} < ${PROJECT_SOURCE_DIR}/docs/avara-onboard.1.scd > ${AVARA_MAN_PAGE}
    COMMAND ${GZIP_PROGRAM} -9nc ${AVARA_MAN_PAGE} > ${AVARA_MAN_PAGE}.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/docs/avara-onboard.1.scd
    COMMENT "scdoc: avara-onboard.1"
    VERBATIM)
  add_custom_target(avara-man ALL DEPENDS ${AVARA_MAN_PAGE} ${AVARA_MAN_PAGE}.gz)
  install(FILES ${AVARA_MAN_PAGE}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "scdoc not found: no man page (scripts/install-deps.sh installs it)")
endif()

# The Debian changelog (lintian wants one, compressed).
string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(READ ${_pkg}/changelog _changelog)
string(REPLACE "@VERSION@" "${PROJECT_VERSION}" _changelog "${_changelog}")
string(REPLACE "@DATE@" "${_date}" _changelog "${_changelog}")
file(WRITE ${_gen}/changelog "${_changelog}")
add_custom_command(
  OUTPUT ${_gen}/changelog.gz
  COMMAND ${GZIP_PROGRAM} -9nc ${_gen}/changelog > ${_gen}/changelog.gz
  DEPENDS ${_pkg}/changelog
  VERBATIM)
add_custom_target(avara-changelog ALL DEPENDS ${_gen}/changelog.gz)

install(TARGETS avara-onboard RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/contrib/completion/avara-onboard.bash
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/bash-completion/completions RENAME avara-onboard)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/completion/_avara-onboard
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/zsh/vendor-completions)

set(_doc ${CMAKE_INSTALL_DATAROOTDIR}/doc/avara-onboard)
file(GLOB _docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${_docs} ${_pkg}/copyright ${_gen}/changelog.gz DESTINATION ${_doc})
install(FILES ${PROJECT_SOURCE_DIR}/config/hr-export.toml ${PROJECT_SOURCE_DIR}/samples/roster.csv
              ${PROJECT_SOURCE_DIR}/samples/hr-export.csv ${_pkg}/examples/cron.d-avara-onboard
        DESTINATION ${_doc}/examples)

# systemd: the templated service and timer, and the system user they run as.
install(FILES ${_pkg}/systemd/avara-onboard@.service ${_pkg}/systemd/avara-onboard@.timer
        DESTINATION lib/systemd/system)
install(FILES ${_pkg}/systemd/avara-onboard.sysusers DESTINATION lib/sysusers.d RENAME avara-onboard.conf)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME avara-onboard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "avara-onboard maintainers <avara-onboard@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "invite the people of an HR roster into the Avara Viewer")
# CPack puts the summary first; this is the extended description (lines under 80 columns).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "avara-onboard reads an HR roster (CSV or xlsx), validates every row against\n"
    "the Avara invite schema and sends one invite per valid new person over\n"
    "HTTPS, under a rate limit and with retries. Every row ends with one line in\n"
    "a report; a run that was cut short continues with --resume. Includes\n"
    "systemd units for nightly runs, Prometheus textfile metrics, JSON logs and\n"
    "an HTML report for HR.")
string(REPLACE ";" "" CPACK_DEBIAN_PACKAGE_DESCRIPTION "${CPACK_DEBIAN_PACKAGE_DESCRIPTION}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus-node-exporter")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${_pkg}/postinst ${_pkg}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
