#pragma once
// Values that look like secrets to a regex but are documentation, templates or masks.
#include <string_view>

namespace agent::controls::secrets {

/// True when `secret` is a template or variable reference (`${DB_PASSWORD}`, `{{ token }}`,
/// `$TOKEN`, `%API_KEY%`, `<your-token>`, `process.env.X`), a mask (`xxxx`, `****`, `...`, mostly one
/// repeated character), or a documentation value (`changeme`, `EXAMPLE`, `dummy`, `placeholder`,
/// `your_api_key`, `password`, `null`, ...). Case-insensitive.
bool is_placeholder(std::string_view secret);

/// The part of is_placeholder that cannot be a real value wherever it is written: empty, variable
/// and template syntax (`${VAR}`, `$VAR`, `{{ x }}`, `<password>`), format specifiers (`%s`,
/// `%(x)s`, `{}`), masks made of mask characters (`*****`, `xxxx`, `...`) and self-describing
/// templates (`<your-...>`, `your_password_here`, `changeme-in-prod`, `placeholder`, `redacted`).
/// Dictionary words (`password`, `changeme`, `secret`, `hunter22`) are NOT structural: in a
/// credential file they are real, weak passwords. Case-insensitive.
bool is_structural_placeholder(std::string_view secret);

}  // namespace agent::controls::secrets
