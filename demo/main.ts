// The demo's entry: register the widget (the package's registering entry), then the page.
import '../src/define.js';
import './demo-app.js';
