# mh_embed_text(<target> <file> <namespace> <symbol>): compiles <file> into <target> as
#   namespace <namespace> { extern const std::string_view <symbol>; }
# so the binary needs no data files at run time. Re-configures when <file> changes.
function(mh_embed_text target file namespace symbol)
  file(READ ${file} text)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${file})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}_data.cpp)
  file(WRITE ${out}.tmp
    "// Generated from ${rel} by CMake. Do not edit.\n"
    "#include <string_view>\nnamespace ${namespace} {\n"
    "extern const std::string_view ${symbol};\n"
    "const std::string_view ${symbol} = R\"mh_embed(${text})mh_embed\";\n"
    "}  // namespace ${namespace}\n")
  configure_file(${out}.tmp ${out} COPYONLY)
  target_sources(${target} PRIVATE ${out})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
endfunction()
