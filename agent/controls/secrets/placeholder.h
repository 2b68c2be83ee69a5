#pragma once
// Values that look like secrets to a regex but are documentation, templates or masks.
#include <string_view>

namespace agent::controls::secrets {

/// True when `secret` is a template or variable reference (`${DB_PASSWORD}`, `{{ token }}`,
/// `$TOKEN`, `%API_KEY%`, `<your-token>`, `process.env.X`), a mask (`xxxx`, `****`, `...`, mostly one
/// repeated character), or a documentation value (`changeme`, `EXAMPLE`, `dummy`, `placeholder`,
/// `your_api_key`, `password`, `null`, ...). Case-insensitive.
bool is_placeholder(std::string_view secret);

}  // namespace agent::controls::secrets
