# Warnings and hardening, applied per target with ofq_target_options(T).
add_library(ofq_options INTERFACE)
target_compile_options(ofq_options INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused
  -Woverloaded-virtual -Wpedantic -Wconversion -Wno-sign-conversion -Wsuggest-override
  -fstack-protector-strong)
target_compile_definitions(ofq_options INTERFACE $<$<CONFIG:Release>:_FORTIFY_SOURCE=2>)
if(OFQ_SANITIZE)
  target_compile_options(ofq_options INTERFACE -fsanitize=${OFQ_SANITIZE} -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(ofq_options INTERFACE -fsanitize=${OFQ_SANITIZE})
endif()
target_link_options(ofq_options INTERFACE -Wl,-z,relro,-z,now)

function(ofq_target_options target)
  target_link_libraries(${target} PRIVATE ofq_options)
endfunction()
