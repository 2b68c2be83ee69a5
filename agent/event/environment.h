#pragma once
// Reading the process environment: this folder is the only place that does. The snapshot is a
// util::Environment, a plain value every other folder receives as a parameter.
#include "agent/util/environment.h"

namespace agent::event {

using util::Environment;

/// Copies the environment of this process (the one read of `environ` in the agent).
Environment process_environment();

}  // namespace agent::event
