import { applyTestLogLevels } from './test-log-levels.js';

// The AWS SDK warns once per process that Node 20 support ends; tests run on 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
applyTestLogLevels();
