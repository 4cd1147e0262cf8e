// Deployment settings of the dashboard. Edit this file when the API lives elsewhere
// (e.g. the dashboard on S3 + CloudFront and the API on API Gateway):
//   apiBase: 'https://abc123.execute-api.eu-west-1.amazonaws.com'
// An empty apiBase means the same origin as the page (`ecom-pipeline serve`).
// reportsBase is where the analytics reports are (their latest.json lists the newest):
// `ecom-pipeline serve` serves <reports>/analytics/ at reports/analytics/ beside this page;
// on AWS, the reports bucket's address, e.g. 'https://d222222abcdef8.cloudfront.net/analytics/'.
// Values set on window.DASHBOARD_CONFIG before this file loads take precedence.
'use strict';

window.DASHBOARD_CONFIG = Object.freeze(
  Object.assign(
    {
      apiBase: '',
      reportsBase: 'reports/analytics/',
      refreshMinutes: 60,
      days: 30,
      currency: 'USD',
      locale: undefined,
    },
    window.DASHBOARD_CONFIG || {},
  ),
);
