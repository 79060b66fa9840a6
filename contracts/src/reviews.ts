// Review schemas (issue 5) are defined here.
export {};
