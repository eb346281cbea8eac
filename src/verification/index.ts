export * from './verdict';
export * from './matching';
