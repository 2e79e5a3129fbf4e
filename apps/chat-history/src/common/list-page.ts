// Only items.service.ts still imports from here (it is being edited elsewhere); new code imports '@llmp/platform'.
export { toListPage } from '@llmp/platform';
