// Where each rule's documentation lives: docs/rules/<id>.md in the project's repository.
export const REPOSITORY_URL = 'https://github.com/pool-lint/pool-lint';

export function ruleDocUrl(id: string): string {
  return id ? `${REPOSITORY_URL}/blob/main/docs/rules/${id}.md` : `${REPOSITORY_URL}/blob/main/docs/rules`;
}
