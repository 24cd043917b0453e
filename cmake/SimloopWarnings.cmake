# Warnings for simloop's own targets. A discarded awaitable is an error in the
# project's builds: asio::awaitable is [[nodiscard]], so forgetting co_await
# on a call expression fails to compile (users: add -Werror=unused-result).
function(simloop_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror=unused-result
                                           -Wno-unused-parameter
                                           -Wno-missing-field-initializers)
endfunction()
