import '@gatekeeper/common';
